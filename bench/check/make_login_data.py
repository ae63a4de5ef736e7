#!/usr/bin/env python3
"""make_login_data.py ROOT -- give every Chrome/Chromium profile under ROOT/home a
"Login Data" SQLite file shaped like Chromium's (meta + logins tables), holding
only "never save for this site" rows.  Binary databases are not committed; the
benchmark builds them in its scratch copy of tests/fixtures/bench-office."""
import glob
import os
import sqlite3
import sys

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


def main(root):
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
    print("made %d Login Data files" % made, file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
