#!/usr/bin/env python3
"""prepare_tree.py ROOT -- make a scratch copy of a fixture tree look like a PC
that is running right now, for the end-to-end test and bench/check:
  - every Chrome/Chromium/Edge profile under ROOT/home gets a "Login Data"
    SQLite file shaped like Chromium's (meta + logins tables) holding only
    "never save for this site" rows (binary databases are not committed);
  - ClamAV daily.cld/.cvd headers are re-stamped with the current time (the
    committed date would otherwise age past max_age_hours);
  - compiled dconf databases get an mtime newer than their keyfiles (git does
    not keep mtimes; "dconf update" would have done this)."""
import glob
import os
import sqlite3
import sys
import time

SCHEMA = """
CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
INSERT INTO meta VALUES('version', '40'), ('last_compatible_version', '40');
CREATE TABLE logins (origin_url VARCHAR NOT NULL, action_url VARCHAR, username_element VARCHAR,
  username_value VARCHAR, password_element VARCHAR, password_value BLOB, submit_element VARCHAR,
  signon_realm VARCHAR NOT NULL, date_created INTEGER NOT NULL, blacklisted_by_user INTEGER NOT NULL,
  scheme INTEGER NOT NULL, password_type INTEGER, times_used INTEGER, form_data BLOB,
  display_name VARCHAR, icon_url VARCHAR, federation_url VARCHAR, skip_zero_click INTEGER,
  generation_upload_status INTEGER, possible_username_pairs BLOB,
  id INTEGER PRIMARY KEY AUTOINCREMENT, date_last_used INTEGER NOT NULL DEFAULT 0,
  moving_blocked_for BLOB, date_password_modified INTEGER NOT NULL DEFAULT 0);
CREATE INDEX logins_signon ON logins (signon_realm);
"""


def restamp_clamav(root):
    now = int(time.time())
    for path in glob.glob(os.path.join(root, "var/lib/clamav/daily.c[lv]d")):
        with open(path, "r+b") as f:
            fields = f.read(512).decode("ascii").rstrip(" ").split(":")
            fields[1] = time.strftime("%d %b %Y %H-%M +0000", time.gmtime(now))
            fields[8] = str(now)
            f.seek(0)
            f.write(":".join(fields).ljust(512).encode("ascii"))


def date_dconf(root):
    for keyfiles in glob.glob(os.path.join(root, "etc/dconf/db/*.d")):
        compiled = keyfiles[:-2]
        newest = max([os.stat(os.path.join(d, f)).st_mtime
                      for d, _, fs in os.walk(keyfiles) for f in fs] or [0])
        if os.path.exists(compiled):
            os.utime(compiled, (newest + 60, newest + 60))


def make_login_data(root):
    made = 0
    for prefs in glob.glob(os.path.join(root, "home/*/.config/*/*/Preferences")):
        path = os.path.join(os.path.dirname(prefs), "Login Data")
        if os.path.exists(path):
            os.unlink(path)
        db = sqlite3.connect(path)
        db.executescript(SCHEMA)
        for n in range(2):
            site = "https://never%d.example.jp/" % n
            db.execute("INSERT INTO logins(origin_url, signon_realm, date_created, "
                       "blacklisted_by_user, scheme) VALUES (?, ?, 13300000000000000, 1, 0)",
                       (site, site))
        db.commit()
        db.close()
        made += 1
    return made


if __name__ == "__main__":
    make_login_data(sys.argv[1])
    restamp_clamav(sys.argv[1])
    date_dconf(sys.argv[1])
