#!/bin/sh
# Rebuilds the two shipped packages from their sources here: py/vendor/*.whl and node/vendor/*.tgz.
set -e
cd "$(dirname "$0")"
python3 - <<'PY'
import base64, hashlib, zipfile
name, version = "tiny_greeting", "1.0"
info = "%s-%s.dist-info" % (name, version)
files = {
    name + ".py": open("tiny_greeting/tiny_greeting.py", "rb").read(),
    info + "/METADATA": b"Metadata-Version: 2.1\nName: tiny_greeting\nVersion: 1.0\n",
    info + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = ""
with zipfile.ZipFile("../py/vendor/%s-%s-py3-none-any.whl" % (name, version), "w") as z:
    for path, data in files.items():
        z.writestr(path, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += "%s,sha256=%s,%d\n" % (path, digest, len(data))
    record += info + "/RECORD,,\n"
    z.writestr(info + "/RECORD", record)
PY
(cd greeting-words && npm pack --silent --pack-destination ../../node/vendor >/dev/null)
