package giteatest

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeConfig writes the app.ini of a throwaway server under dir: SQLite,
// loopback only, offline, no mail, no registration, no SSH, no cron, and
// queues, sessions and caches in memory, so that it starts fast and
// reaches nothing outside this machine.
func writeConfig(dir string, port int) (string, error) {
	for _, d := range []string{"custom/conf", "data", "repos", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return "", err
		}
	}
	ini := fmt.Sprintf(`APP_NAME = openova-test
RUN_MODE = prod
RUN_USER = %[1]s
WORK_PATH = %[2]s

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = %[3]d
ROOT_URL = http://127.0.0.1:%[3]d/
LOCAL_ROOT_URL = http://127.0.0.1:%[3]d/
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
APP_DATA_PATH = %[2]s/data
STATIC_ROOT_PATH = %[4]s

[database]
DB_TYPE = sqlite3
PATH = %[2]s/data/gitea.db
SQLITE_JOURNAL_MODE = WAL

[security]
INSTALL_LOCK = true
SECRET_KEY = %[5]s
INTERNAL_TOKEN = %[6]s
PASSWORD_HASH_ALGO = pbkdf2$1000$50
MIN_PASSWORD_LENGTH = 8

[oauth2]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = true
DEFAULT_KEEP_EMAIL_PRIVATE = true
ENABLE_NOTIFY_MAIL = false

[mailer]
ENABLED = false

[repository]
ROOT = %[2]s/repos
DEFAULT_BRANCH = main
DEFAULT_PRIVATE = private

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[queue]
TYPE = channel

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[picture]
DISABLE_GRAVATAR = true
ENABLE_FEDERATED_AVATAR = false

[cron]
ENABLED = false

[cron.update_checker]
ENABLED = false

[actions]
ENABLED = false

[packages]
ENABLED = false

[migrations]
ALLOW_LOCALNETWORKS = false

[log]
MODE = file
LEVEL = Info
ROOT_PATH = %[2]s/log
`, currentUser(), dir, port, Dir(), random(16), random(32))
	path := filepath.Join(dir, "custom", "conf", "app.ini")
	return path, os.WriteFile(path, []byte(ini), 0o600)
}
