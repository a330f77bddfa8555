#!/bin/sh
# deploy/kubernetes/procview-daemonset.yaml against the install layout
# (make list-install PREFIX=/usr, what the Containerfile installs): what the
# init container copies lands where hooks.d and the hook expect it, and the
# daemon runs privileged in the host pid namespace with a Bidirectional
# mount of /var/lib/procview and the node's /run/procview.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

command -v python3 >/dev/null || skip_all "python3 not installed"
python3 -c 'import yaml' 2>/dev/null || skip_all "python3 yaml module missing (apt-get install python3-yaml)"
command -v make >/dev/null || skip_all "make not installed"

LAYOUT=$(make -s list-install PREFIX=/usr) || skip_all "make list-install failed"
python3 - deploy/kubernetes/procview-daemonset.yaml hooks.d "$LAYOUT" <<'PY'
import json, os, posixpath, shlex, sys
import yaml

path, hooksd, layout = sys.argv[1], sys.argv[2], sys.argv[3].split()
n = fails = 0

def ok(cond, desc, why=""):
    global n, fails
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, desc))
    if not cond:
        fails += 1
        if why:
            print("#   " + str(why))
    return cond

try:
    docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
except yaml.YAMLError as e:
    ok(False, "the DaemonSet YAML parses", e)
    print("1..%d" % n)
    sys.exit(1)
ok(len(docs) == 1, "the DaemonSet YAML parses into one document", len(docs))
ds = docs[0]
ok(ds.get("apiVersion") == "apps/v1" and ds.get("kind") == "DaemonSet",
   "it is an apps/v1 DaemonSet", (ds.get("apiVersion"), ds.get("kind")))
spec = ds["spec"]["template"]["spec"]
sel = ds["spec"].get("selector", {}).get("matchLabels", {})
labels = ds["spec"]["template"]["metadata"].get("labels", {})
ok(sel and all(labels.get(k) == v for k, v in sel.items()),
   "the selector matches the pod template's labels", (sel, labels))
ok(spec.get("hostPID") is True, "hostPID: true (nsenter --target=1, /proc of the node)")

inits = spec.get("initContainers", [])
mains = spec.get("containers", [])
for c in inits + mains:
    ok((c.get("securityContext") or {}).get("privileged") is True,
       "container %s is privileged" % c["name"])

volumes = {v["name"]: v for v in spec.get("volumes", [])}
def host_path(name):
    return (volumes.get(name) or {}).get("hostPath", {}).get("path")
host_paths = {host_path(v) for v in volumes}
for p in ["/usr/share/containers/oci/hooks.d", "/usr/libexec/procview",
          "/var/lib/procview", "/run/procview"]:
    ok(p in host_paths, "a hostPath volume for %s" % p, sorted(x for x in host_paths if x))
for c in inits + mains:
    for m in c.get("volumeMounts", []):
        ok(m["name"] in volumes, "%s: volumeMount %s names a volume" % (c["name"], m["name"]))

daemon = next((c for c in mains if any("procviewd" in str(a) for a in c.get("command", []))), None)
ok(daemon is not None, "a container runs procviewd")
if daemon:
    cmd = daemon.get("command", []) + daemon.get("args", [])
    ok("/usr/bin/procviewd" in cmd, "it runs the installed /usr/bin/procviewd", cmd)
    ok(("-f" in cmd or "--foreground" in cmd) and "/var/lib/procview" in cmd,
       "procviewd runs in the foreground on /var/lib/procview", cmd)
    mnts = {m["mountPath"]: m for m in daemon.get("volumeMounts", [])}
    m = mnts.get("/var/lib/procview", {})
    ok(host_path(m.get("name")) == "/var/lib/procview" and
       m.get("mountPropagation") == "Bidirectional",
       "/var/lib/procview is the node's, with mountPropagation Bidirectional", m)
    m = mnts.get("/run/procview", {})
    ok(host_path(m.get("name")) == "/run/procview",
       "/run/procview is the node's (records and pid files survive the pod)", m)
    ok(any(host_path(m["name"]) == "/dev/fuse" for m in daemon.get("volumeMounts", [])),
       "/dev/fuse is mounted into the daemon")

# What the init container copies: "install ... SRC DST" lines of its script.
copied = {}  # node path -> image path
for c in inits:
    mnts = [(m["mountPath"], host_path(m["name"])) for m in c.get("volumeMounts", [])]
    script = " ".join(str(a) for a in c.get("command", []) + c.get("args", []))
    for line in script.replace(";", "\n").splitlines():
        words = shlex.split(line)
        if not words or words[0] not in ("install", "cp"):
            continue
        paths = [w for w in words[1:] if w.startswith("/")]
        if len(paths) != 2:
            continue
        src, dst = paths
        node = None
        for mp, hp in mnts:
            if hp and (dst == mp or dst.startswith(mp.rstrip("/") + "/")):
                node = posixpath.normpath(hp + dst[len(mp):])
        ok(node is not None, "init copies %s into a hostPath volume" % dst, mnts)
        if node:
            copied[node] = src
ok(len(copied) > 0, "the init container copies files onto the node")
for node, src in sorted(copied.items()):
    ok(src in layout, "init copies %s, a file of the install layout" % src, layout)
    ok(node == src, "%s lands on the node at the same path" % src, node)

hook = "/usr/libexec/procview/procview-hook"
ok(hook in copied, "the hook %s is copied to the node" % hook, sorted(copied))
ok("/usr/bin/procview-runtime" in copied,
   "/usr/bin/procview-runtime (containerd's BinaryName) is copied to the node", sorted(copied))
for c in inits + mains:
    env = {e.get("name"): e.get("value") for e in c.get("env", [])}
    ok(env.get("PROCVIEW") == "off",
       "container %s sets PROCVIEW=off (under containerd the pod annotation may not reach "
       "config.json: procviewd must read the node's /proc)" % c["name"], env)
ok("/usr/bin/procviewd" in copied,
   "/usr/bin/procviewd (the hook's default --daemon) is copied to the node", sorted(copied))
for f in sorted(os.listdir(hooksd)):
    if not f.endswith(".json"):
        continue
    node = "/usr/share/containers/oci/hooks.d/" + f
    stages = json.load(open(os.path.join(hooksd, f))).get("stages")
    ok(node in copied, "hooks.d/%s (stages %s) is copied to the node" % (f, stages),
       sorted(copied))

print("1..%d" % n)
sys.exit(1 if fails else 0)
PY
