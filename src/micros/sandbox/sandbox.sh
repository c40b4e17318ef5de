# micros' sandbox: pid 1 of a micro's own pid and mount namespaces (see Sandbox.java).
# Builds the micro's root (MicroRoot.java wrote its skeleton and fstabs in $MICROS_SANDBOX_ROOT:
# the system's runtime folders, its interpreter, code, build folder and micros' run folder, its
# own /proc and a private /tmp), pivots into it with every mount read-only but /tmp, starts the
# micro without privileges, reaps orphans while it runs, and exits with its status: then the
# kernel ends whatever is left.
# Run as `/bin/sh micros-sandbox MICRO COMMAND...` (what ps shows), its settings in MICROS_SANDBOX_*.
set -e
umask 022
mode=$MICROS_SANDBOX_MODE kind=$MICROS_SANDBOX_TMP size=$MICROS_SANDBOX_SIZE uid=$MICROS_SANDBOX_UID gid=$MICROS_SANDBOX_GID
src=$MICROS_SANDBOX_SRC run=$MICROS_SANDBOX_RUN dir=$MICROS_SANDBOX_ROOT envreset=$MICROS_SANDBOX_ENVRESET hostpid=${MICROS_SANDBOX_PID:-0}
unset MICROS_SANDBOX_MODE MICROS_SANDBOX_TMP MICROS_SANDBOX_SIZE MICROS_SANDBOX_UID MICROS_SANDBOX_GID MICROS_SANDBOX_SRC \
  MICROS_SANDBOX_RUN MICROS_SANDBOX_ROOT MICROS_SANDBOX_ENVRESET MICROS_SANDBOX_PID
micro=$1; shift
new=$dir/root
opath=$PATH; PATH=/usr/sbin:/usr/bin:/sbin:/bin
# the skeleton as a mount, the kept folders bound in (one mount(8) each fstab), and a first /proc of
# this pid namespace, for a writable handle on its ns_last_pid past the read-only remount (see the end)
mount -a -T "$dir/early"
if [ -w "$new/proc/sys/kernel/ns_last_pid" ]; then exec 3>"$new/proc/sys/kernel/ns_last_pid"; fi
if [ "$kind" = disk ]; then
  # made in the host's run folder, which leaves this namespace at the pivot: the loop device's open
  # file pins no mount the micro sees
  img=$run/images/$micro.$hostpid.tmp.img
  # ext4's metadata and its kernel reserve (2%, at most 4096 blocks) come on top: a larger image, and what is
  # left over reserved for root (the micro is not), so the micro can write exactly $size
  # in a folder only root may enter (Sandbox.imagesFolder), and root's alone (0600) from its first moment:
  # every micro's root shows the run folder, and a micro that opened this image before it is removed
  # would read this instance's /tmp through it for good
  (umask 077 && truncate -s $(( size + size / 16 + 4194304 )) "$img")
  mkfs.ext4 -q -F -O ^has_journal -m 0 -E root_owner="$uid:$gid" "$img" >/dev/null 2>&1
  set -- $(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Block count: *//p; s/^Free blocks: *//p; s/^Block size: *//p') "$@"
  resv=$(( $1 / 50 )); [ "$resv" -gt 4096 ] && resv=4096
  tune2fs -r $(( $2 - resv - size / $3 )) "$img" >/dev/null 2>&1 || true
  shift 3
  mount -o loop,nosuid,nodev "$img" "$new/tmp"
  rm -f "$img"   # the loop device keeps the image; it goes when the micro does
  chmod 1777 "$new/tmp"
fi
# the micro's /proc over the first, a tmpfs /tmp, what lives in /tmp (the run folder, a project there)
mount -a -T "$dir/late"
cd "$new"
pivot_root . .
umount -l .   # the host's root, stacked on the new one: gone from this namespace with all below it
cd /
# every mount read-only but /tmp (a bind remount changes the mount, never the filesystem), its other
# flags kept (a user namespace may not drop them), with one mount(8)
while read -r id parent dev root mp opts rest; do
  case "$opts" in ro|ro,*) continue;; esac
  if [ "$mp" != /tmp ]; then echo "none $mp none remount,bind,ro,${opts#rw,} 0 0"; fi
done < /proc/self/mountinfo > /tmp/.micros-readonly
mount -a -T /tmp/.micros-readonly >/dev/null 2>&1 || true
rm -f /tmp/.micros-readonly
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
