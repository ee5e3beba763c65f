#!/usr/bin/env bash
# Lab harness: N simulated hosts, an underlay bridge and a fake internet, all inside one
# outer sandbox so the machine's own network namespace never changes. See README.md.
#
#   tests/lab/lab.sh up N [STATE_DIR]     build the lab (refuses if STATE_DIR exists)
#   tests/lab/lab.sh down [STATE_DIR]     tear it down, verify, remove STATE_DIR
#   tests/lab/lab.sh status [STATE_DIR]
#   tests/lab/lab.sh exec CMD [ARG...]    run CMD in the lab namespace (the controller)
#   tests/lab/lab.sh proxy HOST PORT [STATE_DIR]
#                                         stdin/stdout <-> HOST:PORT from the lab namespace
#                                         (ssh ProxyCommand for clients outside the lab)
#
# STATE_DIR defaults to $LAB_STATE_DIR, else /tmp/linuxnet-netns-lab.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
self="$here/lab.sh"
python=/usr/bin/python3     # not $PATH's python3: on these machines that is a pyenv shim

lab_gw=198.18.0.1           # lab namespace on br0: the hosts' default gateway
lab_prefix=198.18.0         # hosts are $lab_prefix.$((10 + i))
uplink_lab=203.0.113.1      # lab namespace's end of the veth to upstream
upstream_ip=203.0.113.10    # upstream namespace, HTTP server on port 80
max_hosts=244               # 10 + 244 = 254, the last usable address of br0's /24

die() { echo "lab.sh: $*" >&2; exit 1; }

# The underlay's MAC of an address: 02:00 and its four bytes (198.18.0.11 -> 02:00:c6:12:00:0b), so
# that every end of br0 can know every other's before any packet, with no ARP.
mac_of() {
  local IFS=.
  # shellcheck disable=SC2086  # split on the dots
  printf '02:00:%02x:%02x:%02x:%02x' $1
}

# The underlay's neighbours, made permanent: every host (and the gateway) gets an entry for each
# address of etc-hosts on 198.18.0.0/24 but its own. All the namespaces of the machine share ONE
# IPv4 neighbour table, whose limit gc_thresh3 (1024 by default, settable only in the machine's
# own namespace) counts every learnt entry of every namespace, and a host that floods (vxlan: to
# every peer) learns every other host's address: 40 hosts alone overflowed it, and a host whose
# table is full does not answer ARP (it cannot add the asker). Permanent entries do not count
# towards that limit (Linux >= 5.0); the overlays' and containers' neighbours still do.
static_underlay() {  # static_underlay STATE OWN_ADDRESS DEVICE: ip -batch lines
  local address _
  while read -r address _; do
    case $address in "$lab_prefix".*) ;; *) continue ;; esac
    [ "$address" != "$2" ] || continue
    echo "neigh replace $address lladdr $(mac_of "$address") dev $3 nud permanent"
  done <"$1/etc-hosts"
}

state_dir() {
  local dir=${1:-${LAB_STATE_DIR:-/tmp/linuxnet-netns-lab}}
  realpath -m -- "$dir"
}

# Field 22 of /proc/PID/stat: with the PID it names one process for good, so a recorded
# PID that the kernel has since handed to someone else's process is never signalled.
starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}"
}

# True if PID is still the process recorded with START, and not a zombie (whose reaping
# is up to its parent, possibly the machine's init).
same_process() {
  local stat
  [ "$(starttime "$1" 2>/dev/null)" = "$2" ] || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# The sandbox's init, as seen from here, if it is the one this state dir recorded.
sandbox_init() {
  local state=$1 name pid start
  [ -f "$state/pids" ] || return 1
  while read -r name pid start _; do
    if [ "$name" = sandbox-init ] && same_process "$pid" "$start"; then
      echo "$pid"; return 0
    fi
  done <"$state/pids"
  return 1
}

# PIDs of the processes in any of the given namespaces ("net:[4026532...]", ...), in
# one pass over /proc.
ns_members() {
  find /proc/[0-9]*/ns/ -maxdepth 1 \( -name pid -o -name net -o -name mnt \) \
    -printf '%h %l\n' 2>/dev/null |
    awk 'BEGIN { for (i = 1; i < ARGC; i++) want[ARGV[i]] = 1; ARGC = 1 }
         ($2 in want) { split($1, p, "/"); if (!seen[p[3]]++) print p[3] }' "$@"
}

# What must look the same after `down` as before `up`, in the namespace lab.sh runs in
# (the machine's own). Lifetimes and expiry counters change by themselves: dropped.
snapshot() {
  echo "## ip netns list"; ip netns list
  echo "## ip -o link"; ip -o link
  echo "## ip -o addr"; ip -o addr | sed -E 's/ +(valid|preferred)_lft [^ ]+//g'
  echo "## ip route"; ip route
  echo "## ip -6 route"; ip -6 route | sed -E 's/ expires [^ ]+//'
  echo "## net.ipv4.ip_forward"; cat /proc/sys/net/ipv4/ip_forward
  if command -v nft >/dev/null; then echo "## nft list ruleset"; nft list ruleset 2>&1 || true; fi
}

# ---------------------------------------------------------------------------------------
# Runs as PID 1 of the sandbox (new net, mount and PID namespaces). It only prepares the
# file system view; the network is built by __setup, entered with nsenter, so that its
# errors reach `up`.
# ---------------------------------------------------------------------------------------
sandbox_init_main() {
  local state=$1 f
  # sshd needs /run/sshd, which the machine does not have. An overlay keeps every write
  # to /run (ours, and the hosts') in the state dir instead of on the machine.
  mkdir -p "$state/sandbox/run-upper" "$state/sandbox/run-work"
  mount -t overlay overlay \
    -o "lowerdir=/run,upperdir=$state/sandbox/run-upper,workdir=$state/sandbox/run-work" /run
  install -d -m 0755 /run/sshd /run/netns
  mount -t tmpfs -o mode=0755 tmpfs /run/netns
  mount -t tmpfs -o mode=0755 tmpfs /etc/netns
  # sshd records logins with a tty (ssh -t, interactive ssh) in these; keep them off
  # the machine.
  for f in /var/log/wtmp /var/log/btmp /var/log/lastlog /run/utmp; do
    if [ -f "$f" ]; then mount --bind /dev/null "$f"; fi
  done
  ip link set lo up
  touch "$state/sandbox.ready"
  # PID 1 must reap the orphans reparented to it (hosts, servers): bash does that
  # while it waits.
  while :; do sleep 3600 & wait $! || true; done
}

# ---------------------------------------------------------------------------------------
# Runs inside the sandbox (nsenter -n -m -p) during `up`: builds the networks, starts
# upstream and the hosts, waits until every server listens.
# ---------------------------------------------------------------------------------------
setup_main() {
  local n=$1 state=$2 i name pid deadline log
  local -a names=() pids=()

  ip netns add lab
  ip netns add upstream
  ip -n lab link set lo up
  ip -n upstream link set lo up

  ip -n lab link add br0 address "$(mac_of "$lab_gw")" type bridge
  ip -n lab addr add "$lab_gw/24" dev br0
  ip -n lab link set br0 up
  static_underlay "$state" "$lab_gw" br0 | ip -n lab -batch -
  # The lab namespace routes between the hosts and upstream; it does no NAT.
  ip netns exec lab sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'

  ip -n lab link add uplink type veth peer name eth0 netns upstream
  ip -n lab addr add "$uplink_lab/24" dev uplink
  ip -n lab link set uplink up
  ip -n upstream addr add "$upstream_ip/24" dev eth0
  ip -n upstream link set eth0 up
  ip -n upstream route add default via "$uplink_lab"

  # `ip netns exec lab` binds these over /etc: the controller can say `ssh h1`.
  mkdir -p /etc/netns/lab
  cp "$state/etc-hosts" /etc/netns/lab/hosts

  : >"$state/pids.inner"
  # setsid: nothing of the lab keeps the caller's terminal, so closing it or ^C later
  # does not reach the lab.
  setsid ip netns exec upstream "$python" "$here/upstream.py" serve "$upstream_ip" 80 \
    </dev/null >"$state/upstream.log" 2>&1 &
  echo "upstream $!" >>"$state/pids.inner"
  names+=(upstream); pids+=($!)

  for ((i = 1; i <= n; i++)); do
    name=h$i
    setsid unshare --net --mount --uts --propagation private \
      /bin/bash "$self" __host "$name" "$lab_prefix.$((10 + i))" "$state" \
      </dev/null >"$state/hosts/$name/sshd.log" 2>&1 &
    echo "$name $!" >>"$state/pids.inner"
    names+=("$name"); pids+=($!)
  done

  # Ready means listening: poll each server's own namespace (cheap, and no ARP delays
  # from probing addresses that do not exist yet).
  deadline=$((SECONDS + 20))
  for i in "${!names[@]}"; do
    name=${names[$i]} pid=${pids[$i]}
    until [ -n "$(nsenter -t "$pid" -n ss -Hltn 2>/dev/null)" ]; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "lab.sh: $name exited during start-up; its log:" >&2
        if [ "$name" = upstream ]; then log=$state/upstream.log; else log=$state/hosts/$name/sshd.log; fi
        tail -n 20 "$log" >&2
        return 1
      fi
      [ "$SECONDS" -lt "$deadline" ] || { echo "lab.sh: $name did not start listening" >&2; return 1; }
      sleep 0.05
    done
  done
}

# ---------------------------------------------------------------------------------------
# Runs as one host (unshare --net --mount --uts, still in the sandbox's PID namespace);
# ends by becoming its sshd.
# ---------------------------------------------------------------------------------------
host_main() {
  local name=$1 ip=$2 state=$3
  # The cable to br0, made while /run/netns still shows the sandbox's "lab".
  ip link add eth0 address "$(mac_of "$ip")" type veth peer name "veth-$name" netns lab
  ip -n lab link set "veth-$name" master br0 up
  # The host's own view. /etc, /var/lib and /root: overlays, so that what a playbook writes
  # there (systemd units, the code netns_bridge leaves for boot, ansible's ~/.ansible/tmp) lands
  # in $state/hosts/$name/{etc,var-lib,root}-upper, one per host and easy to inspect, and not on
  # the machine. Its own netns registry, and a /sys that lists its own interfaces (ansible facts
  # read /sys/class/net).
  local dir layer
  for dir in etc var/lib root; do
    layer=$state/hosts/$name/${dir//\//-}
    mkdir -p "$layer-upper" "$layer-work"
    mount -t overlay overlay -o "lowerdir=/$dir,upperdir=$layer-upper,workdir=$layer-work" "/$dir"
  done
  # sshd runs every command through root's bash, which reads ~/.bashrc; the machine's
  # runs `pyenv init` (seconds, and a 60 s hang whenever a killed rehash left its lock
  # in the shared ~/.pyenv). Lab hosts get plain ones.
  printf '# lab host: see tests/lab/lab.sh\n' >/root/.bashrc
  cat >/root/.profile <<'EOF'
# lab host: see tests/lab/lab.sh
[ -n "$BASH" ] && . ~/.bashrc
EOF
  mount -t tmpfs -o mode=0755 tmpfs /run/netns
  mount -t tmpfs -o mode=0755 tmpfs /etc/netns
  umount -l /sys
  mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
  cp "$state/etc-hosts" /etc/hosts
  echo "$name" >/etc/hostname
  hostname "$name"
  ip link set lo up
  ip addr add "$ip/24" dev eth0
  ip link set eth0 up
  static_underlay "$state" "$ip" eth0 | ip -batch -
  ip route add default via "$lab_gw"
  # sshd exits if ListenAddress is not (yet) a local address: it is, from here on.
  exec /usr/sbin/sshd -D -e -f "$state/sshd_config" \
    -o "ListenAddress=$ip" -o PidFile=none \
    -o "HostKey=$state/hosts/$name/ssh_host_ed25519_key"
}

# ---------------------------------------------------------------------------------------
# Commands run from the machine's own namespaces.
# ---------------------------------------------------------------------------------------
write_config() {
  local n=$1 state=$2 i name
  local key="$state/id_ed25519"

  ssh-keygen -q -t ed25519 -N '' -C linuxnet-netns-lab -f "$key"
  cp "$key.pub" "$state/authorized_keys"
  for ((i = 1; i <= n; i++)); do
    mkdir -p "$state/hosts/h$i"
    ssh-keygen -q -t ed25519 -N '' -C "h$i" -f "$state/hosts/h$i/ssh_host_ed25519_key"
  done

  # Only the lab's sshds read this; /etc/ssh is untouched. StrictModes would reject an
  # authorized_keys below the world-writable /tmp; UsePAM would need /etc/pam.d/sshd and
  # touch loginuid. sftp is needed by ansible's file transfer (and by scp).
  cat >"$state/sshd_config" <<EOF
# generated by tests/lab/lab.sh for the lab hosts; HostKey and ListenAddress come with -o
AuthorizedKeysFile $state/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
MaxStartups 100:30:200
MaxSessions 100
Subsystem sftp internal-sftp
EOF

  {
    echo "127.0.0.1 localhost"
    echo "$lab_gw lab gateway"
    echo "$upstream_ip upstream"
    for ((i = 1; i <= n; i++)); do echo "$lab_prefix.$((10 + i)) h$i"; done
  } >"$state/etc-hosts"

  # Two ways in: from the lab namespace (lab.sh exec ssh -F ssh_config h1), or from
  # anywhere on the machine through the relay (ssh -F ssh_config.proxy h1).
  local common="  User root
  IdentityFile $key
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  GlobalKnownHostsFile /dev/null
  LogLevel ERROR
  BatchMode yes
  ConnectTimeout 5"
  {
    for ((i = 1; i <= n; i++)); do printf 'Host h%d\n  HostName %s\n' "$i" "$lab_prefix.$((10 + i))"; done
    printf 'Host *\n%s\n' "$common"
  } >"$state/ssh_config"
  {
    for ((i = 1; i <= n; i++)); do printf 'Host h%d\n  HostName %s\n' "$i" "$lab_prefix.$((10 + i))"; done
    printf 'Host *\n%s\n  ProxyCommand %s proxy %%h %%p %s\n' "$common" "$self" "$state"
  } >"$state/ssh_config.proxy"

  local ssh_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'
  inventory() {
    echo "# generated by tests/lab/lab.sh; $1"
    echo "[hosts]"
    for ((i = 1; i <= n; i++)); do echo "h$i ansible_host=$lab_prefix.$((10 + i))"; done
    echo
    echo "[hosts:vars]"
    echo "ansible_user=root"
    echo "ansible_ssh_private_key_file=$key"
    echo "ansible_ssh_common_args='$ssh_args${2:+ $2}'"
    # Ansible's ControlPersist sockets are named after host, port and user only: in the
    # shared ~/.ansible/cp, a run against this lab would reuse a live master into another
    # lab with the same addresses (or the previous one).
    echo "ansible_control_path_dir=$state/cp"
    echo "# interpreter discovery would pick a broken pyenv shim on these machines"
    echo "ansible_python_interpreter=/usr/bin/python3"
    echo
    echo "[all:vars]"
    echo "lab_state_dir=$state"
    echo "lab_gateway=$lab_gw"
    echo "lab_upstream_address=$upstream_ip"
    echo "lab_upstream_url=http://$upstream_ip/"
  }
  inventory "use from inside the lab namespace: tests/lab/lab.sh exec ansible ..." \
    >"$state/inventory.ini"
  inventory "use from the machine's own namespace (ssh goes through lab.sh proxy)" \
    "-o ProxyCommand=\"$self proxy %h %p $state\"" >"$state/inventory-proxy.ini"

  cat >"$state/lab.env" <<EOF
# generated by tests/lab/lab.sh; source it
LAB_STATE_DIR=$state
LAB_HOSTS="$(for ((i = 1; i <= n; i++)); do printf 'h%d ' "$i"; done | sed 's/ $//')"
LAB_GATEWAY=$lab_gw
LAB_UPSTREAM=$upstream_ip
LAB_UPSTREAM_URL=http://$upstream_ip/
LAB_SSH_CONFIG=$state/ssh_config
LAB_SSH_CONFIG_PROXY=$state/ssh_config.proxy
LAB_INVENTORY=$state/inventory.ini
LAB_INVENTORY_PROXY=$state/inventory-proxy.ini
EOF
}

cmd_up() {
  local n=${1:-} state start_ns unshare_pid init_pid deadline name inner outer d i
  if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt "$max_hosts" ]; then
    die "usage: lab.sh up N [STATE_DIR]   (1 <= N <= $max_hosts)"
  fi
  state=$(state_dir "${2:-}")
  start_ns=$(date +%s%N)

  for tool in unshare nsenter ip ss ssh ssh-keygen /usr/sbin/sshd "$python"; do
    command -v "$tool" >/dev/null || die "missing $tool (packages: iproute2 openssh-client openssh-server python3 util-linux)"
  done
  # Without PAM, sshd refuses every login to an account whose password starts with "!".
  if [ "$(getent shadow root | cut -d: -f2 | cut -c1)" = "!" ]; then
    die "root's password is locked with '!'; sshd (UsePAM no) would refuse key logins. Use 'usermod -p \"*\" root'."
  fi
  [ -d /etc/netns ] || die "/etc/netns is missing; create it once (mkdir /etc/netns): the lab mounts over it"

  # mkdir is the lock: a second `up` on the same state dir stops here.
  mkdir -m 0700 "$state" 2>/dev/null || {
    if sandbox_init "$state" >/dev/null; then
      die "a lab is already up in $state; run: $self down $state"
    fi
    die "$state exists (left over from a failed or killed run?); run: $self down $state"
  }
  # A failed `up` leaves everything in place for a look (status, exec, the logs);
  # `down` cleans it up. The hint is global: set -e may exit after cmd_up's locals are gone.
  up_failed_hint="lab.sh: up failed; logs are in $state; clean up with: $self down $state"
  trap 'rc=$?; [ $rc -eq 0 ] || echo "$up_failed_hint" >&2' EXIT

  snapshot >"$state/snapshot.before"
  write_config "$n" "$state"
  : >"$state/pids"

  # The holder records its own PID before it becomes unshare (same PID), so no instant
  # exists where the sandbox runs unrecorded. --kill-child: if unshare dies, so does the
  # sandbox's init, and with it every process in the sandbox.
  bash -c 'printf "sandbox-unshare %s %s\n" "$$" "$(cut -d" " -f22 /proc/$$/stat)" >>"$1"
           shift; exec setsid "$@"' holder "$state/pids" \
    unshare --net --mount --pid --kill-child=SIGKILL --mount-proc --propagation private \
    /bin/bash "$self" __init "$state" </dev/null >"$state/sandbox.log" 2>&1 &
  unshare_pid=$!

  deadline=$((SECONDS + 10))
  until [ -e "$state/sandbox.ready" ]; do
    kill -0 "$unshare_pid" 2>/dev/null || { cat "$state/sandbox.log" >&2; die "sandbox exited during start-up"; }
    [ "$SECONDS" -lt "$deadline" ] || die "sandbox did not become ready"
    sleep 0.02
  done
  # setsid forks only for a process-group leader; make sure what we recorded is unshare.
  [ "$(cat "/proc/$unshare_pid/comm")" = unshare ] || die "unexpected holder process $unshare_pid"
  init_pid=$(cat "/proc/$unshare_pid/task/$unshare_pid/children")
  init_pid=${init_pid%% *}
  echo "sandbox-init $init_pid $(starttime "$init_pid") 1" >>"$state/pids"

  nsenter -t "$init_pid" -n -m -p --wd=/ -- /bin/bash "$self" __setup "$n" "$state"

  # Map the PIDs the sandbox saw to the ones the machine sees (last field of NSpid).
  local pidns
  pidns=$(readlink "/proc/$init_pid/ns/pid")
  declare -A outer_of=()
  while read -r outer; do
    inner=$(awk '/^NSpid:/ {print $NF}' "/proc/$outer/status" 2>/dev/null) || continue
    [ -n "$inner" ] && outer_of[$inner]=$outer
  done < <(ns_members "$pidns")
  while read -r name inner; do
    outer=${outer_of[$inner]:-}
    [ -n "$outer" ] || die "$name (PID $inner in the sandbox) is not running"
    echo "$name $outer $(starttime "$outer") $inner" >>"$state/pids"
  done <"$state/pids.inner"

  # End to end: the controller's ssh reaches every host.
  local -a checks=()
  for ((i = 1; i <= n; i++)); do
    LAB_STATE_DIR=$state cmd_exec ssh -F "$state/ssh_config" "h$i" hostname \
      >"$state/hosts/h$i/check.out" 2>&1 &
    checks+=($!)
  done
  for i in "${!checks[@]}"; do
    wait "${checks[$i]}" || { cat "$state/hosts/h$((i + 1))/check.out" >&2; die "ssh to h$((i + 1)) failed"; }
  done
  trap - EXIT
  touch "$state/up.done"

  local ms=$((($(date +%s%N) - start_ns) / 1000000))
  cat <<EOF
lab up in ${ms} ms: $n hosts, state in $state
  hosts      h1..h$n = $lab_prefix.11..$lab_prefix.$((10 + n))/24 on br0, gateway $lab_gw (lab namespace)
  upstream   $upstream_ip (http://$upstream_ip/ answers "you are <source address>")
  ssh        $self exec ssh -F $state/ssh_config h1
             ssh -F $state/ssh_config.proxy h1          (from this namespace, via lab.sh proxy)
  ansible    $self exec ansible -i $state/inventory.ini all -m ping
             ansible -i $state/inventory-proxy.ini all -m ping
  down       $self down $state
EOF
}

cmd_down() {
  local state name pid start deadline leftovers d f rc=0
  state=$(state_dir "${1:-}")
  if [ ! -e "$state" ]; then
    echo "lab.sh: no lab in $state; nothing to do"
    return 0
  fi

  # Killing the sandbox's init ends every process in the sandbox's PID namespace, and
  # the namespaces go with them. Only processes recorded by `up` (or the init child of
  # the recorded unshare, if `up` died before recording it), and still the same
  # processes, are signalled. init goes first so that unshare, its parent, reaps it;
  # unshare then exits by itself.
  local -a recorded=()
  local init='' unshare='' child
  if [ -f "$state/pids" ]; then
    while read -r name pid start _; do
      if [ -z "$pid" ] || ! same_process "$pid" "$start"; then continue; fi
      recorded+=("$pid:$start")
      case $name in
        sandbox-init) init=$pid:$start ;;
        sandbox-unshare) unshare=$pid:$start ;;
      esac
    done <"$state/pids"
  fi
  if [ -z "$init" ] && [ -n "$unshare" ]; then
    child=$(cat "/proc/${unshare%%:*}/task/${unshare%%:*}/children" 2>/dev/null) || true
    child=${child%% *}
    if [ -n "$child" ]; then
      init=$child:$(starttime "$child")
      recorded+=("$init")
    fi
  fi
  # Who is in the lab's namespaces, found while they are alive: namespace inode numbers
  # are reused as soon as a namespace is freed, so after the kill they could name a
  # stranger's. These are checked to be gone afterwards: everything in the sandbox's PID
  # namespace dies with init; a process that entered from outside it (an nsenter of
  # `lab.sh exec`) must exit once its child is gone.
  local namespaces='' ipid members=''
  if [ -n "$init" ]; then
    ipid=${init%%:*}
    namespaces=$(readlink "/proc/$ipid/ns/pid" "/proc/$ipid/ns/net" "/proc/$ipid/ns/mnt" 2>/dev/null || true)
    namespaces+=" $(nsenter -t "$ipid" -m -- find /run/netns -mindepth 1 -maxdepth 1 \
      -exec stat -L -c 'net:[%i]' {} + 2>/dev/null || true)"
    if [ -f "$state/pids" ]; then
      while read -r name pid start _; do
        case $name in h[0-9]*) ;; *) continue ;; esac
        same_process "$pid" "$start" || continue
        namespaces+=" $(readlink "/proc/$pid/ns/net" "/proc/$pid/ns/mnt" 2>/dev/null || true)"
      done <"$state/pids"
    fi
    # shellcheck disable=SC2086
    for d in $(ns_members $namespaces); do
      members+=" $d:$(starttime "$d" || true)"
    done
  fi

  kill_and_wait() {
    local f
    for f in "$@"; do
      if same_process "${f%%:*}" "${f#*:}"; then kill -KILL "${f%%:*}" 2>/dev/null || true; fi
    done
    for f in "$@"; do
      until ! same_process "${f%%:*}" "${f#*:}"; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "lab.sh: PID ${f%%:*} survived SIGKILL" >&2; rc=1; break; }
        sleep 0.02
      done
    done
  }
  deadline=$((SECONDS + 10))
  if [ -n "$init" ]; then kill_and_wait "$init"; fi
  # unshare exits once it has reaped init; give it a moment before insisting.
  if [ -n "$unshare" ]; then
    for _ in $(seq 50); do same_process "${unshare%%:*}" "${unshare#*:}" || break; sleep 0.02; done
  fi
  if [ ${#recorded[@]} -gt 0 ]; then kill_and_wait "${recorded[@]}"; fi

  leftovers=
  for f in $members; do
    until ! same_process "${f%%:*}" "${f#*:}"; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        leftovers+=" ${f%%:*}($(cat "/proc/${f%%:*}/comm" 2>/dev/null))"
        break
      fi
      sleep 0.02
    done
  done
  if [ -n "$leftovers" ]; then
    echo "lab.sh: processes still in lab namespaces (not killed: not started by lab.sh):$leftovers" >&2
    rc=1
  fi

  if [ -f "$state/snapshot.before" ]; then
    if ! diff -u "$state/snapshot.before" <(snapshot) >&2; then
      echo "lab.sh: the machine's own network state differs from before 'up' (diff above)" >&2
      rc=1
    fi
  fi

  rm -rf -- "$state"
  if [ "$rc" -eq 0 ]; then
    echo "lab down: $state removed, machine's namespace unchanged"
  fi
  return "$rc"
}

cmd_status() {
  local state init name pid start inner
  state=$(state_dir "${1:-}")
  [ -e "$state" ] || { echo "no lab in $state"; return 1; }
  if ! init=$(sandbox_init "$state"); then
    echo "lab in $state is NOT running (its sandbox is gone: failed or killed 'up'?); run: $self down $state"
    return 1
  fi
  if [ -e "$state/up.done" ]; then
    echo "lab in $state: up, sandbox init PID $init"
  else
    echo "lab in $state: 'up' did not finish (sandbox init PID $init); run: $self down $state"
  fi
  while read -r name pid start inner; do
    if same_process "$pid" "$start"; then
      printf '  %-16s PID %-8s running\n' "$name" "$pid"
    else
      printf '  %-16s PID %-8s GONE\n' "$name" "$pid"
    fi
  done <"$state/pids"
  echo "lab namespace:"
  LAB_STATE_DIR=$state cmd_exec ip -br addr | sed 's/^/  /'
  [ -e "$state/up.done" ]
}

cmd_exec() {
  local state init
  state=$(state_dir)
  [ $# -gt 0 ] || die "usage: lab.sh exec CMD [ARG...]"
  init=$(sandbox_init "$state") || die "no running lab in $state (LAB_STATE_DIR)"
  # -p as well: whatever CMD leaves behind (ssh ControlPersist masters, ...) lives in the
  # sandbox's PID namespace and dies with `down`.
  nsenter -t "$init" -n -m -p --wd="$PWD" -- \
    env LAB_STATE_DIR="$state" ip netns exec lab "$@"
}

cmd_proxy() {
  [ $# -eq 2 ] || [ $# -eq 3 ] || die "usage: lab.sh proxy HOST PORT [STATE_DIR]"
  LAB_STATE_DIR=$(state_dir "${3:-}") cmd_exec "$python" "$here/upstream.py" relay "$1" "$2"
}

case ${1:-} in
  up)     shift; cmd_up "$@" ;;
  down)   shift; cmd_down "$@" ;;
  status) shift; cmd_status "$@" ;;
  exec)   shift; cmd_exec "$@" ;;
  proxy)  shift; cmd_proxy "$@" ;;
  __init)  shift; sandbox_init_main "$@" ;;
  __setup) shift; setup_main "$@" ;;
  __host)  shift; host_main "$@" ;;
  # for tests/vm/vm.sh, which builds the same sandbox around VMs and leaves down to lab.sh
  __snapshot) snapshot ;;
  *) sed -n '2,12p' "$self" >&2; exit 2 ;;
esac
