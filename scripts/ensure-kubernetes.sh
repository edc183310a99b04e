#!/usr/bin/env bash
# Starts (or stops) a real single-node Kubernetes cluster on this machine for pkgdriver's
# Kubernetes runner and its integration tests, from what this machine can reach: the Go module
# proxy and Debian's packages.
#
#   scripts/ensure-kubernetes.sh [up] [IMAGE...]  start what is not running, wait for the node to be
#                                                 Ready, import each Docker IMAGE into the cluster
#   scripts/ensure-kubernetes.sh import IMAGE...  only import images (docker save | ctr import)
#   scripts/ensure-kubernetes.sh down             stop everything and leave nothing behind
#   scripts/ensure-kubernetes.sh status           say whether the cluster answers (exit 1 if not)
#
# Up is idempotent: on a machine whose cluster answers it only imports the images it is given.
# What it runs, all bound to 127.0.0.1 and started by this script alone:
#   - etcd (go.etcd.io/etcd/server/v3, tools/etcd) and kube-apiserver, kube-controller-manager,
#     kube-scheduler, kubelet and kubectl (k8s.io/kubernetes v1.34.4, tools/kubernetes), built
#     into $PKGDRIVER_K8S_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/pkgdriver/kubernetes):
#     minutes from an empty Go build cache, nothing when the binaries match tools/*/go.sum;
#   - a containerd of its own (Debian's containerd, own socket, root and state; never the Docker
#     engine's) with restrict_oom_score_adj = true, since root here may lack CAP_SYS_RESOURCE;
#   - the kubelet with the cgroupfs driver under the cgroup /pkgdriver-kubernetes, CNI from
#     Debian's containernetworking-plugins (configured so the node is Ready; pkgdriver's pods use
#     host networking and get no CNI interface), and a pause image built from tools/pause;
#   - certificates from openssl, a kubeconfig with cluster-admin rights at
#     $PKGDRIVER_K8S_STATE/admin.kubeconfig (printed at the end).
# The kubelet changes sysctls and adds iptables chains: up records the values and chains before it
# starts, and down restores the sysctls and deletes only the chains that were not there before,
# so the Docker engine's chains are never touched. Needs root. Used by the Makefile (make
# kubernetes, make kubernetes-down), .ci/run and the README.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${PKGDRIVER_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pkgdriver/kubernetes}
STATE=${PKGDRIVER_K8S_STATE:-/var/lib/pkgdriver-kubernetes}
RUN=/run/pkgdriver-kubernetes
BIN=$CACHE/bin
# The node is named localhost: the API server reaches the kubelet (exec, logs) by the node's
# Hostname address, which then resolves to 127.0.0.1. The kubelet refuses a loopback node IP, and
# any other address of this machine is not one that tests may send traffic to.
NODE=localhost
API_PORT=${PKGDRIVER_K8S_API_PORT:-16443}
ETCD_PORT=${PKGDRIVER_K8S_ETCD_PORT:-12379}
ETCD_PEER_PORT=$((ETCD_PORT + 1))
KUBELET_PORT=${PKGDRIVER_K8S_KUBELET_PORT:-10250}
CGROUP=pkgdriver-kubernetes
SOCK=$RUN/containerd/containerd.sock
KUBECONFIG_OUT=$STATE/admin.kubeconfig
PAUSE_IMAGE=pkgdriver.local/pause:1
SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
	kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
COMPONENTS=(etcd containerd kube-apiserver kube-controller-manager kube-scheduler kubelet)

log() { printf 'ensure-kubernetes: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

need_root() {
	[ "$(id -u)" -eq 0 ] || die "this needs root (it starts containerd and a kubelet)"
}

kubectl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_OUT" "$@"; }
ctr_() { ctr --address "$SOCK" --namespace k8s.io "$@"; }

# --- binaries --------------------------------------------------------------------------------

install_packages() {
	local missing=()
	command -v containerd >/dev/null 2>&1 || missing+=(containerd)
	command -v runc >/dev/null 2>&1 || missing+=(runc)
	[ -x /usr/lib/cni/host-local ] || missing+=(containernetworking-plugins)
	command -v iptables >/dev/null 2>&1 || missing+=(iptables)
	command -v conntrack >/dev/null 2>&1 || missing+=(conntrack)
	command -v openssl >/dev/null 2>&1 || missing+=(openssl)
	command -v findmnt >/dev/null 2>&1 || missing+=(util-linux)
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing Debian's ${missing[*]}"
	# Keep Debian's containerd service from starting (there is no systemd here, but invoke-rc.d
	# would try): the cluster runs a containerd of its own. Only a policy written here is removed.
	local policy=/usr/sbin/policy-rc.d wrote=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		wrote=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	[ -n "$wrote" ] && rm -f "$policy"
	return 0
}

# The version the Kubernetes commands report (the node's kubelet version among them), as a release
# build stamps it; the module proxy's source carries none.
K8S_VERSION=$(awk '$1 == "require" { $1 = "" } $1 == "k8s.io/kubernetes" { print $2; exit }' "$REPO/tools/kubernetes/go.mod")
K8S_LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	K8S_LDFLAGS="$K8S_LDFLAGS -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitTreeState=clean"
	K8S_LDFLAGS="$K8S_LDFLAGS -X $pkg.gitMajor=$(echo "$K8S_VERSION" | cut -d. -f1 | tr -d v)"
	K8S_LDFLAGS="$K8S_LDFLAGS -X $pkg.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
done

# build_module DIR STAMPNAME LDFLAGS PACKAGES...: builds the main packages of the Go module
# tools/DIR into $BIN unless the stamp (a hash of the module's go.mod, go.sum and sources, and the
# flags) says they are current.
build_module() {
	local dir=$1 name=$2 ldflags=$3
	shift 3
	local src=$REPO/tools/$dir
	local stamp
	stamp=$({ find "$src" -maxdepth 1 \( -name '*.go' -o -name 'go.*' \) -type f | sort | xargs cat; echo "$ldflags"; } | sha256sum | cut -d' ' -f1)
	if [ -f "$CACHE/$name.stamp" ] && [ "$(cat "$CACHE/$name.stamp")" = "$stamp" ]; then
		return 0
	fi
	mkdir -p "$BIN"
	log "building $name from the Go module proxy (minutes on a cold Go build cache)"
	local start=$SECONDS
	(cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$BIN/" "$@")
	printf '%s\n' "$stamp" >"$CACHE/$name.stamp"
	log "built $name in $((SECONDS - start)) s"
}

build_binaries() {
	command -v go >/dev/null 2>&1 || die "go is not on PATH"
	build_module kubernetes kubernetes "$K8S_LDFLAGS" \
		k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl \
		k8s.io/kubernetes/cmd/kubelet
	build_module etcd etcd "-s -w" .
	# The pause program belongs to the main module (a few lines, no dependency).
	local stamp
	stamp=$(sha256sum "$REPO/tools/pause/main.go" | cut -d' ' -f1)
	if [ ! -f "$CACHE/pause.stamp" ] || [ "$(cat "$CACHE/pause.stamp")" != "$stamp" ]; then
		(cd "$REPO" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$BIN/pause" ./tools/pause)
		printf '%s\n' "$stamp" >"$CACHE/pause.stamp"
	fi
}

# --- certificates and kubeconfigs ------------------------------------------------------------

# cert NAME CN O SANS: a key and a certificate signed by the cluster's CA (SANS may be empty).
cert() {
	local name=$1 cn=$2 org=$3 sans=$4 d=$STATE/pki
	[ -f "$d/$name.crt" ] && return 0
	openssl genrsa -out "$d/$name.key" 2048 2>/dev/null
	local subj="/CN=$cn"
	[ -n "$org" ] && subj="/O=$org$subj"
	openssl req -new -key "$d/$name.key" -subj "$subj" -out "$d/$name.csr" 2>/dev/null
	{
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=serverAuth,clientAuth"
		[ -n "$sans" ] && echo "subjectAltName=$sans"
	} >"$d/$name.ext"
	openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 3650 -sha256 -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null
	rm -f "$d/$name.csr" "$d/$name.ext"
}

# kubeconfig FILE CERTNAME: a kubeconfig that reaches the API server with that client certificate.
kubeconfig() {
	local file=$1 name=$2 d=$STATE/pki
	cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: pkgdriver
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 "$d/ca.crt")
users:
- name: $name
  user:
    client-certificate-data: $(base64 -w0 "$d/$name.crt")
    client-key-data: $(base64 -w0 "$d/$name.key")
contexts:
- name: pkgdriver
  context:
    cluster: pkgdriver
    user: $name
current-context: pkgdriver
EOF
	chmod 0600 "$file"
}

make_pki() {
	local d=$STATE/pki
	mkdir -p "$d"
	chmod 0700 "$d"
	if [ ! -f "$d/ca.crt" ]; then
		openssl genrsa -out "$d/ca.key" 2048 2>/dev/null
		openssl req -x509 -new -key "$d/ca.key" -subj "/CN=pkgdriver-test-cluster-ca" -days 3650 \
			-sha256 -out "$d/ca.crt" 2>/dev/null
	fi
	[ -f "$d/sa.key" ] || {
		openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
		openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
	}
	cert apiserver kube-apiserver "" \
		"IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
	cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters ""
	cert admin pkgdriver-admin system:masters ""
	cert controller-manager system:kube-controller-manager "" ""
	cert scheduler system:kube-scheduler "" ""
	cert kubelet "system:node:$NODE" system:nodes "IP:127.0.0.1,DNS:localhost,DNS:$NODE"
	kubeconfig "$KUBECONFIG_OUT" admin
	kubeconfig "$STATE/controller-manager.kubeconfig" controller-manager
	kubeconfig "$STATE/scheduler.kubeconfig" scheduler
	kubeconfig "$STATE/kubelet.kubeconfig" kubelet
}

# --- configuration ---------------------------------------------------------------------------

write_configs() {
	mkdir -p "$STATE/cni/net.d" "$STATE/containerd" "$STATE/kubelet" "$STATE/log"
	# containerd 1.6 (config version 2): every path its own.
	cat >"$STATE/containerd/config.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$RUN/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$SOCK"

[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
EOF
	# A CNI network is what makes the runtime report NetworkReady; pkgdriver's pods use host
	# networking and never get an interface from it. No masquerading, no port maps.
	cat >"$STATE/cni/net.d/10-pkgdriver.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "pkgdriver",
  "plugins": [
    {"type": "bridge", "bridge": "pkgdrv-cni0", "isGateway": false, "ipMasq": false,
     "ipam": {"type": "host-local", "dataDir": "$STATE/cni/ipam",
              "ranges": [[{"subnet": "10.244.0.0/24"}]]}},
    {"type": "loopback"}
  ]
}
EOF
	cat >"$STATE/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$SOCK
podLogsDir: $STATE/pod-logs
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $STATE/pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $STATE/pki/kubelet.crt
tlsPrivateKeyFile: $STATE/pki/kubelet.key
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
serializeImagePulls: false
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}
maxPods: 64
EOF
}

# --- processes -------------------------------------------------------------------------------

running() {
	local pid
	pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# start NAME COMMAND...: starts a component in its own session, logging into $STATE/log/NAME.log.
start() {
	local name=$1
	shift
	running "$name" && return 0
	log "starting $name"
	setsid "$@" >>"$STATE/log/$name.log" 2>&1 </dev/null &
	echo $! >"$RUN/$name.pid"
}

# wait_for NAME SECONDS COMMAND...: retries COMMAND every half second while component NAME runs.
wait_for() {
	local what=$1 secs=$2
	shift 2
	local i
	for ((i = 0; i < secs * 2; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		if ! running "$what"; then
			log "$what exited"
			return 1
		fi
		sleep 0.5
	done
	log "$what did not come up within $secs s"
	return 1
}

fail_with_log() {
	log "last lines of $STATE/log/$1.log:"
	tail -n 25 "$STATE/log/$1.log" >&2 || true
	exit 1
}

record_host_state() {
	# Only the first up after a down records: a second up must not take the kubelet's values for
	# the machine's own.
	[ -f "$STATE/host-before.sysctl" ] && return 0
	local s
	for s in "${SYSCTLS[@]}"; do
		printf '%s=%s\n' "$s" "$(sysctl -n "$s")"
	done >"$STATE/host-before.sysctl"
	for t in filter nat mangle raw; do
		iptables -t "$t" -S 2>/dev/null | awk -v t="$t" '$1 == "-N" {print t, $2}'
	done >"$STATE/host-before.iptables"
	for t in filter nat mangle raw; do
		ip6tables -t "$t" -S 2>/dev/null | awk -v t="$t" '$1 == "-N" {print t, $2}'
	done >"$STATE/host-before.ip6tables"
	[ -d /var/log/containers ] && touch "$STATE/host-before.var-log-containers"
	[ -d /run/netns ] && touch "$STATE/host-before.run-netns"
	[ -d /var/lib/cni ] && touch "$STATE/host-before.var-lib-cni"
	return 0
}

make_cgroups() {
	local c
	for c in /sys/fs/cgroup/*/; do
		c=${c%/}
		[ -L "$c" ] && continue
		[ "${c##*/}" = unified ] && continue
		mkdir -p "$c/$CGROUP"
	done
	# cpuset children start empty: inherit the parent's CPUs and memory nodes.
	if [ -d /sys/fs/cgroup/cpuset/$CGROUP ]; then
		cat /sys/fs/cgroup/cpuset/cpuset.cpus >/sys/fs/cgroup/cpuset/$CGROUP/cpuset.cpus
		cat /sys/fs/cgroup/cpuset/cpuset.mems >/sys/fs/cgroup/cpuset/$CGROUP/cpuset.mems
	fi
}

api_ready() { kubectl get --raw /readyz >/dev/null 2>&1; }
node_ready() {
	[ "$(kubectl get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

make_pause_image() {
	ctr_ images ls -q 2>/dev/null | grep -qx "$PAUSE_IMAGE" && return 0
	# An OCI image archive made by hand: one uncompressed layer holding /pause.
	local w
	w=$(mktemp -d)
	mkdir -p "$w/rootfs" "$w/oci/blobs/sha256"
	cp "$BIN/pause" "$w/rootfs/pause"
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$w/rootfs" -cf "$w/layer.tar" pause
	local layer lsize config csize manifest msize
	layer=$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
	lsize=$(stat -c %s "$w/layer.tar")
	mv "$w/layer.tar" "$w/oci/blobs/sha256/$layer"
	printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$layer" >"$w/config.json"
	config=$(sha256sum "$w/config.json" | cut -d' ' -f1)
	csize=$(stat -c %s "$w/config.json")
	mv "$w/config.json" "$w/oci/blobs/sha256/$config"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
		"$config" "$csize" "$layer" "$lsize" >"$w/manifest.json"
	manifest=$(sha256sum "$w/manifest.json" | cut -d' ' -f1)
	msize=$(stat -c %s "$w/manifest.json")
	mv "$w/manifest.json" "$w/oci/blobs/sha256/$manifest"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"1"}}]}' \
		"$manifest" "$msize" "$PAUSE_IMAGE" >"$w/oci/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$w/oci/oci-layout"
	tar -C "$w/oci" -cf "$w/pause.tar" .
	ctr_ images import "$w/pause.tar" >/dev/null
	rm -rf "$w"
}

# import_images IMAGE...: copies each image from the Docker engine into the cluster's containerd,
# unless an image of the same ID is there already.
import_images() {
	local img id
	for img in "$@"; do
		id=$(docker image inspect --format '{{.Id}}' "$img" 2>/dev/null) ||
			die "image $img is not on the Docker engine (build it first, e.g. pkgdriver run)"
		local mark
		mark=$STATE/imported/$(printf '%s' "$img" | tr '/:@' '___')
		if [ "$(cat "$mark" 2>/dev/null)" = "$id" ] && ctr_ images ls -q | grep -qx "$(normalise "$img")"; then
			continue
		fi
		log "importing $img into the cluster"
		local t=$SECONDS
		docker save "$img" | ctr_ images import - >/dev/null
		mkdir -p "$STATE/imported"
		printf '%s\n' "$id" >"$mark"
		log "imported $img in $((SECONDS - t)) s"
	done
}

# normalise REF: the name containerd gives a Docker reference (docker.io/library/..., :latest).
normalise() {
	local ref=$1 first=${1%%/*}
	case $ref in */*) ;; *) ref=library/$ref ;; esac
	case $first in *.* | *:* | localhost) ;; *) ref=docker.io/$ref ;; esac
	case ${ref##*/} in *:* | *@*) ;; *) ref=$ref:latest ;; esac
	printf '%s\n' "$ref"
}

up() {
	need_root
	local t0=$SECONDS
	if [ -f "$KUBECONFIG_OUT" ] && [ -x "$BIN/kubectl" ] && api_ready && node_ready; then
		import_images "$@"
		log "cluster answers (node $NODE Ready); kubeconfig: $KUBECONFIG_OUT"
		return 0
	fi
	install_packages
	build_binaries
	mkdir -p "$STATE" "$RUN/containerd"
	chmod 0700 "$STATE"
	record_host_state
	make_pki
	write_configs
	make_cgroups
	local t1=$SECONDS

	start etcd "$BIN/etcd" --name pkgdriver --data-dir "$STATE/etcd" \
		--listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster "pkgdriver=http://127.0.0.1:$ETCD_PEER_PORT" \
		--log-level warn
	start containerd containerd --config "$STATE/containerd/config.toml"
	wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health" || fail_with_log etcd

	local pki=$STATE/pki
	start kube-apiserver "$BIN/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$ETCD_PORT" \
		--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
		--tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
		--client-ca-file "$pki/ca.crt" \
		--kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
		--kubelet-client-key "$pki/apiserver-kubelet-client.key" \
		--kubelet-certificate-authority "$pki/ca.crt" \
		--kubelet-preferred-address-types Hostname \
		--service-account-issuer https://kubernetes.default.svc \
		--service-account-key-file "$pki/sa.pub" \
		--service-account-signing-key-file "$pki/sa.key" \
		--service-cluster-ip-range 10.96.0.0/24 \
		--authorization-mode Node,RBAC \
		--enable-admission-plugins NodeRestriction \
		--allow-privileged=true --profiling=false
	wait_for kube-apiserver 90 api_ready || fail_with_log kube-apiserver
	start kube-controller-manager "$BIN/kube-controller-manager" \
		--kubeconfig "$STATE/controller-manager.kubeconfig" \
		--authentication-kubeconfig "$STATE/controller-manager.kubeconfig" \
		--authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
		--bind-address 127.0.0.1 --leader-elect=false \
		--service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
		--use-service-account-credentials \
		--cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
		--profiling=false
	start kube-scheduler "$BIN/kube-scheduler" \
		--kubeconfig "$STATE/scheduler.kubeconfig" \
		--authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
		--authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
		--bind-address 127.0.0.1 --leader-elect=false --profiling=false
	wait_for containerd 30 ctr --address "$SOCK" version || fail_with_log containerd
	make_pause_image
	start kubelet "$BIN/kubelet" --config "$STATE/kubelet/config.yaml" \
		--kubeconfig "$STATE/kubelet.kubeconfig" --root-dir "$STATE/kubelet/root" \
		--cert-dir "$STATE/kubelet/pki" --hostname-override "$NODE"
	wait_for kubelet 120 node_ready || fail_with_log kubelet
	log "node $NODE Ready $((SECONDS - t1)) s after the start ($((SECONDS - t0)) s in all)"
	# The namespace the runner's tests use by default.
	kubectl get namespace pkgdriver >/dev/null 2>&1 || kubectl create namespace pkgdriver >/dev/null
	import_images "$@"
	log "kubeconfig: $KUBECONFIG_OUT"
}

# --- down ------------------------------------------------------------------------------------

stop() {
	local name=$1 pid i
	pid=$(cat "$RUN/$name.pid" 2>/dev/null) || return 0
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		log "stopping $name"
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 40; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.25
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$RUN/$name.pid"
}

# The containerd shims this cluster's containerd started (never the Docker engine's): they name
# the socket in their command line.
our_shims() {
	local p
	for p in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q -- "containerd-shim.* -address $SOCK" &&
			echo "${p#/proc/}"
	done
	return 0
}

remove_cgroups() {
	local c
	for c in /sys/fs/cgroup/*/$CGROUP; do
		[ -d "$c" ] || continue
		# Deepest first; a cgroup with a process left cannot go and is reported.
		find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		[ -d "$c" ] && log "cgroup $c is still there (a process is left in it)"
	done
	return 0
}

restore_iptables() {
	local tool=$1 before=$2 t chain
	command -v "$tool" >/dev/null 2>&1 || return 0
	for t in filter nat mangle raw; do
		for chain in $("$tool" -t "$t" -S 2>/dev/null | awk '$1 == "-N" {print $2}'); do
			grep -qx "$t $chain" "$before" 2>/dev/null && continue
			case $chain in KUBE-* | CNI-*) ;; *) continue ;; esac
			# Rules elsewhere that jump to it go first, then its own rules, then the chain.
			"$tool" -t "$t" -S | awk -v c="$chain" '$1 == "-A" && $2 != c && / -j / {for (i=1;i<=NF;i++) if ($i == "-j" && $(i+1) == c) print}' |
				while read -r rule; do
					# shellcheck disable=SC2086
					"$tool" -t "$t" -D ${rule#-A } || true
				done
			"$tool" -t "$t" -F "$chain" 2>/dev/null || true
			"$tool" -t "$t" -X "$chain" 2>/dev/null || log "$tool: could not delete chain $chain in $t"
		done
	done
}

down() {
	need_root
	stop kubelet
	stop kube-scheduler
	stop kube-controller-manager
	if [ -S "$SOCK" ] && ctr --address "$SOCK" version >/dev/null 2>&1; then
		local task
		for task in $(ctr_ tasks ls -q 2>/dev/null); do
			ctr_ tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
		done
		sleep 1
		for task in $(ctr_ tasks ls -q 2>/dev/null); do
			ctr_ tasks delete -f "$task" >/dev/null 2>&1 || true
		done
		for task in $(ctr_ containers ls -q 2>/dev/null); do
			ctr_ containers delete "$task" >/dev/null 2>&1 || true
		done
	fi
	stop containerd
	local pid
	for pid in $(our_shims); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	# What still runs in the cluster's cgroups (a pod's processes whose containerd or shim was
	# killed before down ran): every process there is one the cluster started.
	for pid in $(cat /sys/fs/cgroup/pids/$CGROUP/cgroup.procs 2>/dev/null; find /sys/fs/cgroup/pids/$CGROUP -mindepth 2 -name cgroup.procs -exec cat {} + 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	stop kube-apiserver
	stop etcd
	# Mounts under the cluster's directories (pod volumes, snapshots, sandbox namespaces),
	# deepest first.
	local m
	for m in $(findmnt -rn -o TARGET | grep -E "^($STATE|$RUN)(/|$)" | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
	done
	# A pod without host networking gets a network namespace from containerd (/run/netns/cni-*,
	# Docker keeps its own under /run/docker) and CNI's cache in /var/lib/cni.
	for m in /run/netns/cni-*; do
		[ -e "$m" ] || continue
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		rm -f "$m"
	done
	remove_cgroups
	if [ -f "$STATE/host-before.sysctl" ]; then
		while IFS='=' read -r key value; do
			[ "$(sysctl -n "$key")" = "$value" ] || sysctl -q -w "$key=$value" >/dev/null
		done <"$STATE/host-before.sysctl"
		restore_iptables iptables "$STATE/host-before.iptables"
		restore_iptables ip6tables "$STATE/host-before.ip6tables"
		# The kubelet links each container's log into /var/log/containers; those links point
		# into this cluster's state directory.
		[ -d /var/log/containers ] && find /var/log/containers -maxdepth 1 -type l -lname "$STATE/*" -delete
		if [ ! -f "$STATE/host-before.var-log-containers" ] && [ -d /var/log/containers ]; then
			rmdir /var/log/containers 2>/dev/null || true
		fi
		[ -f "$STATE/host-before.run-netns" ] || rmdir /run/netns 2>/dev/null || true
		[ -f "$STATE/host-before.var-lib-cni" ] || rm -rf /var/lib/cni
	fi
	# The CNI bridge, were it ever made (pkgdriver's pods use host networking).
	ip link delete pkgdrv-cni0 2>/dev/null || true
	rm -rf "$RUN" "$STATE"
	log "cluster stopped; nothing of it is left (the binaries stay in $CACHE)"
}

status() {
	[ -f "$KUBECONFIG_OUT" ] && [ -x "$BIN/kubectl" ] && api_ready >/dev/null 2>&1 && node_ready ||
		die "no cluster answers (scripts/ensure-kubernetes.sh up starts one)"
	log "cluster answers; node $NODE Ready; kubeconfig: $KUBECONFIG_OUT"
}

cmd=${1:-up}
case $cmd in
up)
	shift $(($# > 0 ? 1 : 0))
	up "$@"
	;;
import)
	shift
	import_images "$@"
	;;
down) down ;;
status) status ;;
-h | --help | help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' ;;
*)
	# Anything else is an image to import after up.
	up "$@"
	;;
esac
