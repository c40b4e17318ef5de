# micros' sandbox: pid 1 of a micro's own pid and mount namespaces (see Sandbox.java).
# Builds the micro's view (every mount read-only but a private /tmp, its own /proc, the state
# folder, the owner's folder and micros' CA hidden but for the micro's build folder, which holds its
# staged code), starts the micro without privileges,
# reaps orphans while it runs, and exits with its status: then the kernel ends whatever is left.
# Run as `/bin/sh micros-sandbox MICRO COMMAND...` (what ps shows), its settings in MICROS_SANDBOX_*.
set -e
umask 022
mode=$MICROS_SANDBOX_MODE kind=$MICROS_SANDBOX_TMP size=$MICROS_SANDBOX_SIZE uid=$MICROS_SANDBOX_UID gid=$MICROS_SANDBOX_GID
src=$MICROS_SANDBOX_SRC run=$MICROS_SANDBOX_RUN stage=$MICROS_SANDBOX_STAGE state=$MICROS_SANDBOX_STATE
envreset=$MICROS_SANDBOX_ENVRESET hidden=$MICROS_SANDBOX_HIDDEN hostpid=${MICROS_SANDBOX_PID:-0}
unset MICROS_SANDBOX_MODE MICROS_SANDBOX_TMP MICROS_SANDBOX_SIZE MICROS_SANDBOX_UID MICROS_SANDBOX_GID MICROS_SANDBOX_SRC \
  MICROS_SANDBOX_RUN MICROS_SANDBOX_STAGE MICROS_SANDBOX_STATE MICROS_SANDBOX_ENVRESET MICROS_SANDBOX_HIDDEN MICROS_SANDBOX_PID
micro=$1; shift
img=$micro.tmp.img
opath=$PATH; PATH=/usr/sbin:/usr/bin:/sbin:/bin
# a /proc of this pid namespace: the micro sees its own processes only
if [ "$mode" = root ]; then
  umount -l /proc   # the host's /proc, and what is mounted below it, leave this namespace
else
  mount -o remount,bind,ro /proc   # a user namespace cannot unmount it: read-only under the new one
fi
mount -t proc -o nosuid,nodev,noexec proc /proc
# staging: the micro's code and micros' files stay reachable when the new /tmp hides the old one
mount -t tmpfs -o size=64k,mode=755 micros-stage "$stage"
mkdir "$stage/src" "$stage/run" "$stage/build" "$stage/proc"
mount --bind "$src" "$stage/src"
mount --bind "$run" "$stage/run"
build="$state/build/$micro"
if [ -d "$build" ]; then mount --bind "$build" "$stage/build"; else build=; fi
# a writable handle on this namespace's ns_last_pid, kept past the read-only remounts (see the end)
mount -t proc -o nosuid,nodev,noexec proc "$stage/proc"
if [ -w "$stage/proc/sys/kernel/ns_last_pid" ]; then exec 3>"$stage/proc/sys/kernel/ns_last_pid"; fi
# every mount read-only (a bind remount changes the mount, never the filesystem): $1 a mount point to
# leave; $2 an fstab to remount them all with one mount(8), else one mount(8) each
readonly_all() {
  [ -z "$2" ] || : > "$2"
  while read -r id parent dev root mp opts rest; do
    case "$mp" in "$stage"|"$stage"/*|"$1") continue;; esac
    case "$opts" in ro|ro,*) continue;; esac
    if [ -n "$2" ]; then echo "none $mp none remount,bind,ro 0 0" >> "$2"; else mount -o remount,bind,ro "$mp" 2>/dev/null || true; fi
  done < /proc/self/mountinfo
  if [ -n "$2" ]; then mount -a -T "$2" >/dev/null 2>&1 || true; fi
}
readonly_all "" "$stage/fstab"
mount -o remount,bind,ro /
if [ "$kind" = disk ]; then
  # made through the staging bind mount: the loop device's open file must not pin a mount the micro sees
  img="$stage/run/$img"
  # ext4's metadata and its kernel reserve (2%, at most 4096 blocks) come on top: a larger image, and what is
  # left over reserved for root (the micro is not), so the micro can write exactly $size
  truncate -s $(( size + size / 16 + 4194304 )) "$img"
  mkfs.ext4 -q -F -O ^has_journal -m 0 -E root_owner="$uid:$gid" "$img" >/dev/null 2>&1
  set -- $(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Block count: *//p; s/^Free blocks: *//p; s/^Block size: *//p') "$@"
  resv=$(( $1 / 50 )); [ "$resv" -gt 4096 ] && resv=4096
  tune2fs -r $(( $2 - resv - size / $3 )) "$img" >/dev/null 2>&1 || true
  shift 3
  mount -o loop,nosuid,nodev "$img" /tmp
  rm -f "$img"   # the loop device keeps the image; it goes when the micro does
  chmod 1777 /tmp
else
  mount -t tmpfs -o size="$size",mode=1777,nosuid,nodev micros-tmp /tmp
fi
# the owner's folder, micros' CA, and a folder the micro's user could not enter on the way to its
# code (a home of mode 0700): each covered by an empty one
while IFS= read -r h; do
  if [ -n "$h" ] && [ -d "$h" ]; then mount -t tmpfs -o size=16k,mode=755,nosuid,nodev micros-hidden "$h"; fi
done <<EOF
$hidden
EOF
# nothing of micros' state folder (project key, owner token) but the micro's own build folder
if [ -d "$state" ]; then mount -t tmpfs -o size=16k,mode=755 micros-state "$state"; fi
if [ -n "$build" ]; then mkdir -p "$build" && mount --bind "$stage/build" "$build"; fi
# its code and micros' run folder, back at their own paths where /tmp or a covered folder held them
if [ ! -d "$src" ]; then mkdir -p "$src" && mount --bind "$stage/src" "$src"; fi
if [ ! -d "$run" ]; then mkdir -p "$run" && mount --bind "$stage/run" "$run"; fi
umount -l "$stage"
readonly_all /tmp ""
cd "$src"
# sh's PATH search skips folders the micro's user cannot enter; setpriv's does not
case "$1" in */*) ;; *) set -- /bin/sh -c 'exec "$0" "$@"' "$@";; esac
sp=$(command -v setpriv)
if [ "$mode" = root ]; then
  set -- "$sp" --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
else
  set -- "$sp" --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
fi
# a shell starts background commands with SIGINT and SIGQUIT ignored: give the micro the defaults
if [ "$envreset" = 1 ]; then set -- "$(command -v env)" --default-signal=INT,QUIT "$@"; fi
PATH=$opath; export PATH
set +e
# the micro's pid is the one micros reports (its namespace's holder on the host), as it was
# before pid namespaces; the next fork takes ns_last_pid + 1
echo $((hostpid - 1)) 2>/dev/null >&3
exec 3>&-
"$@" &
# its status, without the line sh would add for a job ended by a signal ("Terminated", "Killed"):
# those signals come from micros stopping the micro, or from the OOM killer, and micros says so itself
wait $! 2>/dev/null
