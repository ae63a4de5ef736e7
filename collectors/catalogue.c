/* catalogue.c -- the words of every check; see catalogue.h.
 *
 * Edit a text here (never in a report), then bump MAMORI_CATALOGUE_VERSION
 * and the pinned digest in tests/collectors/t_catalogue.c. */
#include "catalogue.h"

#include <string.h>

/* One fix makes all three screen-lock checks pass. */
#define DCONF_FIX_JA                                                                                   \
    "GNOME は /etc/dconf/profile/user に user-db:user と system-db:local を書き、"              \
    "/etc/dconf/db/local.d/00-screensaver に [org/gnome/desktop/session] idle-delay=uint32 300 "      \
    "と "                                                                                             \
    "[org/gnome/desktop/screensaver] lock-enabled=true, lock-delay=uint32 0 を設定して sudo "     \
    "dconf "                                                                                           \
    "update を実行してください（MATE は org/mate、Cinnamon は org/cinnamon）。KDE は " \
    "/etc/xdg/kscreenlockerrc の [Daemon] に Autolock[$i]=true, Timeout[$i]=5, "                     \
    "LockOnResume[$i]=true。"
#define DCONF_FIX_EN                                                                               \
    "GNOME: put user-db:user and system-db:local in /etc/dconf/profile/user, set "                 \
    "[org/gnome/desktop/session] idle-delay=uint32 300 and [org/gnome/desktop/screensaver] "       \
    "lock-enabled=true, lock-delay=uint32 0 in /etc/dconf/db/local.d/00-screensaver, then run "    \
    "sudo dconf update (MATE: org/mate, Cinnamon: org/cinnamon). KDE: [Daemon] "                   \
    "Autolock[$i]=true, "                                                                          \
    "Timeout[$i]=5, LockOnResume[$i]=true in /etc/xdg/kscreenlockerrc."

const struct mamori_check_text mamori_catalogue[] = {
    {
        .id = "usb.storage_blocked",
        .title_ja = "USBメモリ等による持ち出しが制限されている",
        .title_en = "Taking data out on USB storage is blocked",
        .remediation_ja = "mamori-agent を起動してください（systemctl start mamori-agent）。"
                          "登録媒体が必要な場合は外部記録媒体管理台帳に登録し、"
                          "ポリシーの usb.allow に vid:pid・シリアル・期限を記載します。"
                          "監査モード（usb.mode: audit）は移行期間のみ使用してください。",
        .remediation_en =
            "Start mamori-agent (systemctl start mamori-agent). Register media that "
            "must be used in the media ledger and list them in the policy's usb.allow "
            "(vid:pid, serial, until). Use usb.mode audit only during a transition.",
        .clause = "001 §7(1)イ(イ), §10(4)イ(エ), §9(1)カ (A1-A3)",
    },
    {
        .id = "av.resident",
        .title_ja = "ウイルス対策ソフトが常駐している",
        .title_en = "Antivirus is resident",
        .remediation_ja = "ウイルス対策サービスを有効にして起動してください（例: "
                          "sudo systemctl enable --now clamav-daemon clamav-freshclam）。",
        .remediation_en =
            "Enable and start the antivirus services (e.g. sudo systemctl enable --now "
            "clamav-daemon clamav-freshclam).",
        .clause = "001 §10(4)イ(ア)(イ)",
    },
    {
        .id = "av.pattern_fresh",
        .title_ja = "ウイルス対策のパターンファイルが最新である",
        .title_en = "Antivirus pattern file is up to date",
        .remediation_ja = "freshclam を実行してパターンを更新してください（sudo "
                          "systemctl restart clamav-freshclam）。オフライン環境では配布された "
                          "daily.cvd を /var/lib/clamav に置いてください。",
        .remediation_en =
            "Update the pattern with freshclam (sudo systemctl restart clamav-freshclam). "
            "Offline, copy the distributed daily.cvd into /var/lib/clamav.",
        .clause = "001 §10(4)イ(ア)(イ)",
    },
    {
        .id = "screenlock.enabled",
        .title_ja = "放置時に画面が自動でロックされる",
        .title_en = "The screen locks automatically when idle",
        .remediation_ja = DCONF_FIX_JA,
        .remediation_en = DCONF_FIX_EN,
        .clause = "001 §9(1)ク",
    },
    {
        .id = "screenlock.idle_timeout",
        .title_ja = "画面ロックまでの時間が上限以内である",
        .title_en = "Idle time before the lock is within the limit",
        .remediation_ja = DCONF_FIX_JA,
        .remediation_en = DCONF_FIX_EN,
        .clause = "001 §9(1)ク",
    },
    {
        .id = "screenlock.locked_down",
        .title_ja = "画面ロック設定を利用者が変更できない",
        .title_en = "Users cannot change the screen-lock settings",
        .remediation_ja =
            "/etc/dconf/db/local.d/locks/screensaver に /org/gnome/desktop/session/idle-delay、"
            "/org/gnome/desktop/screensaver/lock-enabled、/org/gnome/desktop/screensaver/"
            "lock-delay "
            "を 1 行ずつ書き、sudo dconf update を実行してください。"
            "KDE はキーに [$i] を付けてください。",
        .remediation_en = "List /org/gnome/desktop/session/idle-delay, "
                          "/org/gnome/desktop/screensaver/lock-enabled "
                          "and /org/gnome/desktop/screensaver/lock-delay, one per line, in "
                          "/etc/dconf/db/local.d/locks/screensaver "
                          "and run sudo dconf update. KDE: mark the keys with [$i].",
        .clause = "001 §9(1)ク",
    },
    {
        .id = "passwords.browser_store_disabled",
        .title_ja = "ブラウザのパスワード保存がポリシーで禁止されている",
        .title_en = "Browsers are forbidden by policy to save passwords",
        .remediation_ja =
            "Chrome は /etc/opt/chrome/policies/managed/mamori.json、Chromium は "
            "/etc/chromium/policies/managed/mamori.json、Edge は "
            "/etc/opt/edge/policies/managed/mamori.json "
            "に {\"PasswordManagerEnabled\": false} を置き、Firefox は "
            "/etc/firefox/policies/policies.json "
            "に {\"policies\": {\"PasswordManagerEnabled\": false, \"OfferToSaveLogins\": "
            "false}} を置いてください。",
        .remediation_en =
            "Chrome: put {\"PasswordManagerEnabled\": false} in "
            "/etc/opt/chrome/policies/managed/mamori.json "
            "(Chromium: /etc/chromium/policies/managed/, Edge: /etc/opt/edge/policies/managed/); "
            "Firefox: {\"policies\": {\"PasswordManagerEnabled\": false, \"OfferToSaveLogins\": "
            "false}} in /etc/firefox/policies/policies.json.",
        .clause = "001 §8(4)イ",
    },
    {
        .id = "passwords.no_saved_logins",
        .title_ja = "ブラウザにログイン情報が保存されていない",
        .title_en = "No logins are saved in browsers",
        .remediation_ja =
            "各利用者のブラウザで保存済みパスワードを削除してください（Firefox: "
            "設定 → プライバシーとセキュリティ → 保存されたログイン情報、"
            "Chrome/Edge: 設定 → パスワード）。再発防止に passwords.browser_store_disabled "
            "の設定も行ってください。",
        .remediation_en =
            "Have each user delete saved passwords (Firefox: Settings → Privacy & "
            "Security → Saved Logins; Chrome/Edge: Settings → Passwords), and disable "
            "saving by policy (see passwords.browser_store_disabled).",
        .clause = "001 §8(4)イ",
    },
    {
        .id = "login.no_autologin",
        .title_ja = "自動ログインが無効で、空のパスワードがない",
        .title_en = "No automatic login and no empty passwords",
        .remediation_ja =
            "GDM は /etc/gdm3/custom.conf の [daemon] で AutomaticLoginEnable=false "
            "と TimedLoginEnable=false、LightDM は lightdm.conf(.d) の autologin-user "
            "を削除、SDDM は sddm.conf(.d) の [Autologin] User= を削除してください。"
            "空パスワードのアカウントは sudo passwd -l ユーザー名 "
            "でロックしてください。",
        .remediation_en =
            "GDM: set AutomaticLoginEnable=false and TimedLoginEnable=false under [daemon] "
            "in /etc/gdm3/custom.conf; LightDM: remove autologin-user from lightdm.conf(.d); "
            "SDDM: remove [Autologin] User= from sddm.conf(.d). Lock accounts with an "
            "empty password: sudo passwd -l USER.",
        .clause = "001 §9(4)ウ",
    },
    {
        .id = "net.only_approved",
        .title_ja = "指定されたネットワークのみに接続",
        .title_en = "Only the designated networks are joined",
        .remediation_ja = "承認されていないインターフェース・USBテザリング・無線LANを切断するか、"
                          "承認済みなら network.interfaces に登録してください",
        .remediation_en = "Disconnect unapproved interfaces, USB tethering and Wi-Fi, or register "
                          "an approved interface in network.interfaces",
        .clause = "001 §10(1)ツ, §10(1)シ, §7(1)ア (E1, E3, E6)",
    },
    {
        .id = "agent.integrity",
        .title_ja = "エージェントの自己防護",
        .title_en = "Agent self-protection",
        .remediation_ja = "ヘルプデスクに連絡し、mamori-agent パッケージを再インストールして "
                          "ポリシーと /var/lib/mamori の権限を root 専用に戻してください。",
        .remediation_en =
            "Contact the helpdesk: reinstall the mamori-agent package and make the policy "
            "and /var/lib/mamori root-only again.",
        .clause = "001 §10 (self-protection of the monitoring agent)",
    },
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

const struct mamori_check_text *mamori_catalogue_find(const char *id)
{
    for (const struct mamori_check_text *t = mamori_catalogue; id != NULL && t->id != NULL; t++)
        if (strcmp(t->id, id) == 0)
            return t;
    return NULL;
}
