# micros' build sandbox: pid 1 of one build step's pid and mount namespaces (see BuildSandbox.java).
# Builds the step's root (MicroRoot.java wrote its skeleton and fstabs in $root: the system folders,
# the build's tools, the micro's build folder, micros' run folder, the owner's wheel folders, its
# /proc and its /tmp), pivots into it with every mount read-only but /tmp and the writable folders
# of the build folder, runs the step as the micro's uid without privileges (uid and gid "-": as
# micros' own user, root of the step's user namespace, likewise without privileges), reaps orphans
# while it runs, and exits with its status: then the kernel ends whatever is left in the namespace.
# Run as `/bin/sh RUN/micros-build uid gid workdir root -- command...` (what ps shows); the folders
# it leaves writable are in $root/writable, one a line.
set -ef
umask 022
uid=$1 gid=$2 work=$3 root=$4; shift 4
writable=$(cat "$root/writable")
[ "$1" = -- ] && shift
opath=$PATH; PATH=/usr/sbin:/usr/bin:/sbin:/bin
# the skeleton as a mount, the kept folders bound in, then /tmp (the build folder's tmp) and what lives in it
mount -a -T "$root/early"
mount -a -T "$root/late"
cd "$root/root"
pivot_root . .
umount -l .   # the host's root, stacked on the new one: gone from this namespace with all below it
cd /
# every other mount read-only (a bind remount changes the mount, never the filesystem), its other
# flags kept, with one mount(8); mountinfo writes a space in a path as \040
keep=$(printf '/tmp\n%s\n' "$writable" | sed 's/ /\\040/g')
while read -r id parent dev fsroot mp opts rest; do
  case "$opts" in ro|ro,*) continue;; esac
  skip=
  for k in $keep; do if [ "$k" = "$mp" ]; then skip=1; fi; done
  if [ -z "$skip" ]; then echo "none $mp none remount,bind,ro,${opts#rw,} 0 0"; fi
done < /proc/self/mountinfo > /tmp/.micros-readonly
mount -a -T /tmp/.micros-readonly >/dev/null 2>&1 || true
rm -f /tmp/.micros-readonly
cd "$work"
sp=$(command -v setpriv)
PATH=$opath; export PATH
set +e
# the step's command in the foreground: this shell reaps orphans while it waits
if [ "$uid" = - ]; then
  "$sp" --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
else
  "$sp" --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
fi
exit $?
