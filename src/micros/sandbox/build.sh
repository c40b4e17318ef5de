# micros' build sandbox: pid 1 of one build step's pid and mount namespaces (see BuildSandbox.java).
# Builds the step's view, where only the micro's stage is writable and micros' secrets and the
# owner's folder are gone, runs the step as the micro's uid without privileges, reaps orphans
# while it runs, and exits with its status: then the kernel ends whatever is left in the namespace.
# Arguments: uid gid workdir tmp staging hidden visible writable -- command...; hidden, visible and
# writable are folders, one a line.
set -ef
umask 022
uid=$1 gid=$2 work=$3 tmp=$4 stage=$5 hidden=$6 visible=$7 writable=$8; shift 8
[ "$1" = -- ] && shift
opath=$PATH; PATH=/usr/sbin:/usr/bin:/sbin:/bin
# staging: what the step keeps stays reachable while the hidden folders are covered
mount -t tmpfs -o size=64k,mode=755 micros-build-stage "$stage"
mkdir "$stage/tmp"
mount --bind "$tmp" "$stage/tmp"
n=0
while IFS= read -r p; do
  if [ -n "$p" ]; then n=$((n + 1)); mkdir "$stage/$n"; mount --bind "$p" "$stage/$n"; fi
done <<EOF
$visible
EOF
# the owner's folder, micros' state folder and CA, and any folder the step's user could not
# enter on the way to its stage: each covered by an empty one
while IFS= read -r h; do
  if [ -n "$h" ] && [ -d "$h" ]; then mount -t tmpfs -o size=16k,mode=755,nosuid,nodev micros-hidden "$h"; fi
done <<EOF
$hidden
EOF
# /tmp: the step's own folder on disk, emptied before each step
mount --bind "$stage/tmp" /tmp
# what it keeps, back at its own path (made again where a covered folder held it)
n=0
while IFS= read -r p; do
  if [ -n "$p" ]; then n=$((n + 1)); mkdir -p "$p"; mount --bind "$stage/$n" "$p"; fi
done <<EOF
$visible
EOF
# what it may write: mounts of their own, left out of the read-only remount below
while IFS= read -r w; do
  if [ -n "$w" ]; then mount --bind "$w" "$w"; fi
done <<EOF
$writable
EOF
umount -l "$stage"
# every other mount read-only (a bind remount changes the mount, never the filesystem), with one
# mount(8); mountinfo writes a space in a path as \040
keep=$(printf '/tmp\n%s\n' "$writable" | sed 's/ /\\040/g')
fstab=/tmp/.micros-fstab
: > "$fstab"
while read -r id parent dev root mp opts rest; do
  case "$opts" in ro|ro,*) continue;; esac
  skip=
  for k in $keep; do if [ "$k" = "$mp" ]; then skip=1; fi; done
  if [ -z "$skip" ]; then echo "none $mp none remount,bind,ro 0 0" >> "$fstab"; fi
done < /proc/self/mountinfo
mount -a -T "$fstab" >/dev/null 2>&1 || true
rm -f "$fstab"
mount -o remount,bind,ro / 2>/dev/null || true
cd "$work"
sp=$(command -v setpriv)
PATH=$opath; export PATH
set +e
# the step's command in the foreground: this shell reaps orphans while it waits
"$sp" --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
exit $?
