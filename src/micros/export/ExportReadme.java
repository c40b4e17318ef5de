package micros.export;

import java.util.List;
import java.util.Map;

import micros.spacefile.App;
import micros.spacefile.App.Micro;

/**
 * The export's README.md: a page a platform engineer follows from the export to a working,
 * locked-down app: the versions it needs, the images, the secrets, the order of applying, what
 * keeps the gateway the only door (and what does not), Pod Security, scaling, and where the
 * data lives with its backup and restore.
 */
final class ExportReadme {
    private ExportReadme() {}

    static String text(App app, Manifests.Names n, BaseImages images, List<Micro> remote, List<Dockerfiles.Static> statics, boolean apiKeys,
                       List<String> notes, String marker) {
        StringBuilder r = new StringBuilder();
        String ns = " -n " + n.namespace();
        Micro probe = remote.isEmpty() ? null : remote.get(0);
        r.append(marker).append("\n# ").append(app.displayName()).append(" on Kubernetes with Knative\n\n");
        r.append("Written by `micros export knative` from the app's Spacefile. The app keeps one front door, as on Space: `micros gateway` "
                + "(Deployment `").append(n.gateway()).append("`) does the login, API keys, public routes, reserved paths, whole requests, the "
                + "payload limit, the execution timeout, scheduled actions and the dashboard, serves the static micros' files, and keeps Base "
                + "and Drive. Each process micro is a Knative Service that scales to zero, which answers the gateway and nothing else.\n\n");

        r.append("## What it needs\n\n"
                + "- **Knative Serving 1.13 or later.** Each micro mounts its writable `/tmp` (Space's only writable folder) as a volume; "
                + "before 1.13 Knative refused a volume at `/tmp` (a reserved path), and every micro would be rejected. Knative must allow "
                + "emptyDir volumes (`kubernetes.podspec-volumes-emptydir` in the `config-features` ConfigMap of `knative-serving`: on by default, "
                + "unless an operator turned it off). Knative's ingress is expected in the namespace `").append(n.ingressNamespace())
                .append("` (Kourier's; `--ingress-namespace` changes it: `istio-system`, `contour-internal`).\n"
                + "- **Kubernetes 1.25 or later**, with Pod Security admission (every pod here meets \"restricted\") and a network plugin "
                + "that enforces NetworkPolicy (Calico, Cilium, Antrea and the like; without one, the policies below are accepted and do nothing).\n"
                + "- A default StorageClass for one ReadWriteOnce volume of 1Gi (the app's data).\n"
                + "- An image builder with BuildKit's `RUN --mount` (`docker build` since Docker 23, `docker buildx`, `podman`/`buildah`), "
                + "and a registry the cluster pulls from.\n\n");

        r.append("## What runs where\n\n| micro | path | runs as | image |\n|---|---|---|---|\n");
        for (Micro m : app.micros()) {
            String path = m.prefix().isEmpty() ? "/" : m.prefix();
            boolean isRemote = remote.contains(m);
            r.append("| ").append(m.name()).append(" | `").append(path).append("` | ")
                    .append(isRemote ? "Knative Service `" + n.service(m) + "` (" + n.url(m) + ")" : "files served by the gateway")
                    .append(" | `").append(isRemote ? n.imageRef(Names.dns(m.name())) : n.imageRef(Names.GATEWAY)).append("` |\n");
        }
        r.append("\nFolders: `micros/NAME/` holds a micro's Dockerfile, what `space push` would have uploaded (`app/`: its folder after "
                + ".spaceignore), micros' guard (`guard.pl`, below), the legacy launcher when the micro has no `run`, and its `service.yaml`; "
                + "`gateway/` holds micros.jar, the Spacefile, the static micros' files and `gateway.yaml` (the data volume, one gateway "
                + "replica, its Service); `setup/` the Secret's generator and the NetworkPolicies; `data/` a pod for backups; "
                + "`ingress.example.yaml` the app's host as an Ingress and as a Gateway API HTTPRoute. No image holds anything of micros' "
                + "state folder (`.micros` or `MICROS_STATE_DIR`), what Space's ignore list leaves out, a symbolic link, or a file holding the "
                + "project key, a token or a registry credential (`export` named each one it left out).\n\n");

        images(r, n, images, remote, statics, notes);
        secrets(r, n, remote, apiKeys);
        apply(r, n, ns);
        door(r, n, ns, probe);
        r.append("## Pod Security\n\nEvery pod here meets Pod Security \"restricted\": `runAsNonRoot` with uid and gid 65534, "
                + "`allowPrivilegeEscalation: false`, all capabilities dropped, `seccompProfile: RuntimeDefault`, a read-only root "
                + "filesystem, only emptyDir, ConfigMap and PersistentVolumeClaim volumes, and `automountServiceAccountToken: false` (the app "
                + "calls no Kubernetes API). The micros set it on their container (Knative takes pod-level security settings only behind a "
                + "feature flag); Knative 1.13's queue-proxy meets it too. Enforce it on the namespace:\n\n```sh\nkubectl label namespace ")
                .append(n.namespace()).append(" pod-security.kubernetes.io/enforce=restricted\n```\n\n");
        scaling(r);
        data(r, n, ns);
        promised(r, statics);
        return r.toString();
    }

    private static void images(StringBuilder r, Manifests.Names n, BaseImages images, List<Micro> remote, List<Dockerfiles.Static> statics,
                               List<String> notes) {
        r.append("## Images\n\nBuild each image from its folder and push it where the cluster pulls from:\n\n```sh\n");
        for (Micro m : remote) r.append("docker build -t ").append(n.imageRef(Names.dns(m.name()))).append(" micros/").append(m.name()).append('\n');
        r.append("docker build -t ").append(n.imageRef(Names.GATEWAY)).append(" gateway\n");
        for (Micro m : remote) r.append("docker push ").append(n.imageRef(Names.dns(m.name()))).append('\n');
        r.append("docker push ").append(n.imageRef(Names.GATEWAY)).append("\n```\n\n");
        r.append("The manifests name each image by the app (`").append(n.image(Names.GATEWAY)).append("`); the `images:` of `kustomization.yaml`, "
                + "`gateway/kustomization.yaml` and `data/kustomization.yaml` map them to the registry (`--image-prefix`) and the tag `")
                .append(n.imageTag()).append("` (`--image-tag`; also the micros' `DETA_SPACE_APP_VERSION` and the version the dashboard shows). Give every build a new tag "
                + "(export again with `--image-tag`, or change `newTag`), so that each apply names the images it means.\n\n");
        r.append("Each micro's image is built as Space built it: its dependency files first (`requirements.txt` and the files it names "
                + "in the folder, such as `./vendor/*.whl`; `package.json`, its lockfile and `file:` dependencies) and their install "
                + "(a virtualenv with pip; `npm ci` with a lockfile, else `npm install`), so a change to the code does not install them "
                + "again; then the rest of the folder, the Spacefile's `commands` and, for next, nuxt and svelte-kit, `npm run build` when "
                + "the commands did not make its output, in a build stage with the toolchain they need (Go's for commands that run `go`); "
                + "then what `include` names (with the installed dependencies) on the runtime's image, started as `micros run` starts it.\n\n");
        r.append("Private package sources are build secrets, never build arguments, a layer or the image's history: `PIP_INDEX_URL`, "
                + "`PIP_EXTRA_INDEX_URL`, `PIP_FIND_LINKS`, `NPM_CONFIG_REGISTRY`, and `npmrc` (an `.npmrc` with the registry's token), "
                + "each used only when given:\n\n```sh\n"
                + "PIP_INDEX_URL=https://user:token@pypi.example.com/simple docker build --secret id=PIP_INDEX_URL,env=PIP_INDEX_URL -t IMAGE micros/NAME\n"
                + "docker build --secret id=npmrc,src=$HOME/.npmrc -t IMAGE micros/NAME\n```\n\n");
        r.append("Base images (`--base-image KEY=IMAGE` replaces one; each must be Debian- or Ubuntu-based: the guard runs on perl-base, "
                + "and the Dockerfile stops at once if perl is missing):\n\n| key | image | for |\n|---|---|---|\n");
        for (Map.Entry<String, String[]> e : BaseImages.DEFAULTS.entrySet())
            r.append("| `").append(e.getKey()).append("` | `").append(images.get(e.getKey())).append('`')
                    .append(images.replaced().contains(e.getKey()) ? " (default `" + e.getValue()[0] + "`)" : "").append(" | ").append(e.getValue()[1]).append(" |\n");
        r.append("\nThe defaults are the runtimes Space ran, so the app behaves as it did there; Python 3.8 and 3.9 and Node 16 no longer "
                + "get security fixes. To move on, export again with newer ones, for example `--base-image python3.9=python:3.12-slim "
                + "--base-image nodejs16=node:22-slim`, and test the app on them (`micros run` with those versions on the PATH shows most "
                + "breakage first).\n\n");
        if (!notes.isEmpty()) {
            r.append("What the export cannot vouch for (each Dockerfile says it too):\n\n");
            for (String note : notes) r.append("- ").append(note).append('\n');
            r.append('\n');
        }
        if (statics.stream().anyMatch(Dockerfiles.Static::build))
            r.append("Static micros with a build (`commands`, or `npm run build` when the folder to serve is missing) are built in a stage "
                    + "of the gateway's image; the gateway serves their files.\n\n");
    }

    private static void secrets(StringBuilder r, Manifests.Names n, List<Micro> remote, boolean apiKeys) {
        r.append("## Secrets\n\nEvery secret comes from the Secret `").append(n.secret()).append("`, which kustomize makes from `setup/")
                .append(Kustomize.SECRETS_FILE).append("` (git ignores it; `setup/").append(Kustomize.SECRETS_FILE)
                .append(".example` lists every key, with the Spacefile's defaults); the manifests only name its keys (`secretKeyRef`). "
                        + "Make it with random values:\n\n```sh\nr() { head -c 48 /dev/urandom | base64 | tr -dc A-Za-z0-9 | head -c \"$1\"; }\n"
                        + "{\n  grep -v -E '^(MICROS_OWNER_TOKEN|DETA_PROJECT_KEY|DETA_API_KEY|" + Manifests.GATEWAY_KEY + ")=' setup/")
                .append(Kustomize.SECRETS_FILE).append(".example\n"
                        + "  echo \"MICROS_OWNER_TOKEN=$(r 32)\"\n"
                        + "  echo \"DETA_PROJECT_KEY=$(r 8 | tr A-Z a-z)_$(r 32)\"\n"
                        + "  echo \"DETA_API_KEY=$(r 32)\"\n"
                        + "  echo \"" + Manifests.GATEWAY_KEY + "=$(r 48)\"\n"
                        + "} > setup/").append(Kustomize.SECRETS_FILE).append("\n```\n\n");
        r.append("Then set ");
        boolean first = true;
        for (Map.Entry<String, String> k : Kustomize.secretKeys(remote, apiKeys).entrySet()) {
            if (List.of("MICROS_OWNER_TOKEN", "DETA_PROJECT_KEY", "DETA_API_KEY", Manifests.GATEWAY_KEY).contains(k.getKey())) continue;
            r.append(first ? "" : ", ").append('`').append(k.getKey()).append("` (").append(k.getValue()).append(')');
            first = false;
        }
        r.append(first ? "nothing else: this app has no API keys or preset variables" : " as the app needs; a preset variable left commented out stays unset, as on Space")
                .append(". Log in with `https://").append(n.host()).append("/?space_token=` and the owner token. Change the host `").append(n.host())
                .append("` in `ingress.example.yaml` and in the micros' `DETA_SPACE_APP_HOSTNAME`. After changing a secret, apply again and restart "
                        + "the pods that read it (`kubectl rollout restart` for the gateway; a micro's pods read it when they start, so delete them or "
                        + "wait for a scale to zero).\n\n");
    }

    private static void apply(StringBuilder r, Manifests.Names n, String ns) {
        r.append("## Apply\n\n```sh\n# 1. the Secret, the NetworkPolicies and the gateway: on its first start it makes the app's CA on its volume\n"
                + "kubectl apply -k setup\n"
                + "kubectl rollout status").append(ns).append(" deployment/").append(n.gateway()).append('\n');
        r.append("# 2. the CA the micros trust for Base and Drive, from the gateway (git ignores ca/)\n"
                + "mkdir -p " + Kustomize.CA_FOLDER + "\n"
                + "kubectl exec").append(ns).append(" deploy/").append(n.gateway()).append(" -- cat ").append(Manifests.CA_DIR).append('/')
                .append(Manifests.CA_CERT).append(" > " + Kustomize.CA_FOLDER + "/").append(Manifests.CA_CERT).append('\n');
        r.append("kubectl exec").append(ns).append(" deploy/").append(n.gateway()).append(" -- cat /etc/ssl/certs/ca-certificates.crt > "
                + Kustomize.CA_FOLDER + "/").append(Manifests.CA_BUNDLE).append('\n');
        r.append("cat " + Kustomize.CA_FOLDER + "/").append(Manifests.CA_CERT).append(" >> " + Kustomize.CA_FOLDER + "/").append(Manifests.CA_BUNDLE).append('\n');
        r.append("# 3. everything: the above, the CA's ConfigMap and the micros\nkubectl apply -k .\n```\n\n");
        r.append("Base and Drive: the gateway serves them over TLS on its Service's port ").append(Manifests.DATA_PORT)
                .append(" (`--data-name ").append(n.dataName()).append("`), with a certificate from its CA that names `").append(n.dataName())
                .append("`; every micro gets `DETA_BASE_HOST` and `DETA_DRIVE_HOST` = `").append(n.dataName()).append(':').append(Manifests.DATA_PORT)
                .append("`, the Secret's `DETA_PROJECT_KEY` (the gateway takes the same one as `MICROS_PROJECT_KEY`), and the ConfigMap `")
                .append(n.ca()).append("` at `").append(Manifests.CA_MOUNT).append("` (`NODE_EXTRA_CA_CERTS` names `").append(Manifests.CA_CERT)
                .append("`; `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE` and `CURL_CA_BUNDLE` name `").append(Manifests.CA_BUNDLE)
                .append("`, the system's CAs followed by micros' CA). The CA is the one in `").append(Manifests.CA_DIR)
                .append("` on the gateway's volume, which vouches only for `localhost` and that name; if the volume is ever replaced, or the "
                        + "gateway's log says it made its CA anew (30 days before its server certificate's 825 days run out), do step 2 again, "
                        + "apply, and restart the micros' pods.\n\n");
    }

    private static void door(StringBuilder r, Manifests.Names n, String ns, Micro probe) {
        String policy = Names.join(n.app(), "micros");
        r.append("## The gateway is the only door\n\nWhat is enforced:\n\n"
                + "- **No route from outside.** The micros' Knative Services are cluster-local (`networking.knative.dev/visibility: "
                + "cluster-local`); the only public route is the one you give the gateway (`ingress.example.yaml`).\n"
                + "- **The NetworkPolicy `").append(policy).append("`.** A micro's pod takes connections only at Knative's queue-proxy "
                + "(ports 8012, 8013, 8112) from the namespaces `" + Manifests.KNATIVE_NAMESPACE + "` (the activator) and `")
                .append(n.ingressNamespace()).append("` (the cluster-local ingress), and at port 9090 from `" + Manifests.KNATIVE_NAMESPACE
                        + "` (the autoscaler's metrics). A pod that connects to a micro's pod address directly, at any port, is dropped "
                        + "(the kubelet's probes, from the node, are not subject to NetworkPolicy).\n"
                        + "- **The guard.** Any pod can still ask the cluster-local ingress for a micro's host: Knative's own traffic comes "
                        + "through it and the activator, and no NetworkPolicy can tell the gateway's request from another pod's there. So "
                        + "the gateway sends every request with `" + micros.runtime.Remote.KEY_HEADER + "` (the Secret's `"
                        + Manifests.GATEWAY_KEY + "`), and each micro's container starts behind `guard.pl`, which listens on the "
                        + "loopback address where queue-proxy delivers, answers 403 to any request without that key before the micro "
                        + "sees it, passes one request per connection, and takes the key out of the request and of the micro's "
                        + "environment. It is also the container's first process: it passes SIGTERM on to the micro, so a scale-down "
                        + "stops it at once instead of at the end of the grace period.\n"
                        + "- **The NetworkPolicy `").append(n.gateway()).append("`.** Base and Drive (port ").append(Manifests.DATA_PORT)
                .append(") take connections from the app's micros only, on top of the project key; the gateway's HTTP port takes them "
                        + "from anywhere, for your ingress controller (the gateway does the login).\n\n");
        r.append("What is not:\n\n"
                + "- Whoever can read the Secret `").append(n.secret()).append("`, exec into the app's pods or start pods with its "
                + "service account in `").append(n.namespace()).append("` has the key: the namespace's RBAC is the boundary.\n"
                + "- A micro can read the key (its guard runs as the same user in the same container), as it can read the project key: "
                + "the micros of one app trust each other, as on Space.\n"
                + "- Between the gateway and the micros requests go in plain HTTP inside the cluster, the key with them (Knative's "
                + "`system-internal-tls` encrypts the activator's and queue-proxy's legs).\n"
                + "- Without a network plugin that enforces NetworkPolicy, a pod can reach a micro's pod address directly: queue-proxy "
                + "there still delivers only to the guard, but a micro that listens on all addresses (not the legacy launchers' own servers, "
                + "which listen on 127.0.0.1) can be reached at its own port, past the guard.\n"
                + "- The micros' outgoing connections are not restricted (Space's micros reached the internet).\n"
                + "- Queue-proxy's metrics for you (port 9091) are closed too: to scrape them, allow your monitoring namespace in `")
                .append(policy).append("`.\n\n");
        if (probe == null) return;
        String host = n.service(probe) + "." + n.namespace() + ".svc.cluster.local";
        r.append("Check it from a pod in another namespace (the overrides make the probe pass Pod Security \"restricted\" too):\n\n```sh\n"
                + "# through the cluster-local ingress, as any pod could: the guard answers 403 (the first call after a scale to zero waits for the micro to start)\n"
                + "kubectl run door-probe --rm -i --restart=Never -n default --image=curlimages/curl --overrides='")
                .append(probe("http://" + host + "/", 30)).append("'\n");
        r.append("# straight at a micro's pod, once one runs (send it a request through the gateway first): 000, dropped by the NetworkPolicy\n"
                + "POD=$(kubectl get pod").append(ns).append(" -l serving.knative.dev/service=").append(n.service(probe))
                .append(" -o jsonpath='{.items[0].status.podIP}')\n");
        r.append("kubectl run door-probe --rm -i --restart=Never -n default --image=curlimages/curl --overrides='")
                .append(probe("http://'$POD':8012/", 5)).append("'\n");
        r.append("# through the gateway, logged in: the micro answers\ncurl -s -o /dev/null -w '%{http_code}\\n' -H 'Cookie: space_token=TOKEN' https://")
                .append(n.host()).append(probe.prefix().isEmpty() ? "/" : probe.prefix() + "/").append("\n```\n\n");
    }

    /** kubectl run's overrides for a curl pod that Pod Security "restricted" admits, printing the status it gets. */
    private static String probe(String url, int seconds) {
        return "{\"spec\":{\"securityContext\":{\"runAsNonRoot\":true,\"runAsUser\":65534,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"
                + "\"containers\":[{\"name\":\"door-probe\",\"image\":\"curlimages/curl\",\"args\":[\"-s\",\"-m\",\"" + seconds
                + "\",\"-o\",\"/dev/null\",\"-w\",\"%{http_code}\\\\n\",\"" + url + "\"],"
                + "\"securityContext\":{\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]}}}]}}";
    }

    private static void scaling(StringBuilder r) {
        r.append("## Scaling\n\nEach micro's Knative Service carries these annotations, taken from how Space ran micros (change them per micro):\n\n"
                + "| annotation | value | why |\n|---|---|---|\n"
                + "| `autoscaling.knative.dev/min-scale` | `0` | Space put an idle micro to sleep and woke it on the next request (a cold start) |\n"
                + "| `autoscaling.knative.dev/target` | `1` | Space ran each execution alone in its instance, with its own 512 MB: a pod per concurrent request, as a soft target, so a burst shares pods while more start |\n"
                + "| `autoscaling.knative.dev/target-utilization-percentage` | `100` | one request per pod, not 0.7 of one |\n"
                + "| `autoscaling.knative.dev/max-scale` | `10` | Space showed no cap; this keeps a burst within the cluster's means (past it, pods take more than one request each) |\n"
                + "| `autoscaling.knative.dev/scale-to-zero-pod-retention-period` | `5m` | as long as `micros run` keeps an idle micro (`--idle`, 5 minutes), so one request a minute does not pay a cold start each time |\n\n"
                + "A micro whose code handles many requests at once (most Node and async Python servers) does well with a higher `target`, "
                + "such as `10`, and fewer pods. The gateway runs as one replica: it owns the data volume and fires the scheduled actions.\n\n");
    }

    private static void data(StringBuilder r, Manifests.Names n, String ns) {
        String tool = Names.join(n.app(), "data-tool"), jar = "java -jar /opt/micros/micros.jar";
        r.append("## Data: Base and Drive\n\nThe app's data lives on the gateway's volume, the PersistentVolumeClaim `").append(n.data())
                .append("` (ReadWriteOnce, 1Gi: change `storage` in `gateway/gateway.yaml` before the first apply), mounted at `/app/.micros`: "
                        + "Base and Drive in `data/`, the CA in `ca/`, and while the gateway runs its `run.properties` (which holds the owner "
                        + "token: the volume is as secret as the Secret). It has one writer: one gateway replica, replaced with the `Recreate` "
                        + "strategy, so the old pod lets go of the volume before the new one mounts it. Never scale the gateway past one.\n\n"
                        + "When the gateway's pod is rescheduled (a drain, a new image, a lost node), the app is down until the new pod has "
                        + "mounted the volume and answers `" + micros.gateway.Gateway.HEALTH + "`; it finds the data as the old one left it "
                        + "(Base forces each write to disk before it answers; a gateway killed mid-write logs that it cleaned up after a run "
                        + "that did not stop cleanly, and its Base recovers its logs). After a lost node, Kubernetes releases the volume only "
                        + "when it gives up on the old pod, after some minutes. A volume that lives on one node (a local-path provisioner) "
                        + "pins the gateway to that node, and a lost node loses the data: keep backups.\n\n");
        r.append("Backup (`data export` writes Space's Data Export format; it runs while the gateway is stopped, in a pod on its volume and image):\n\n```sh\n"
                + "kubectl scale").append(ns).append(" deployment/").append(n.gateway()).append(" --replicas=0\n"
                + "kubectl wait").append(ns).append(" --for=delete pod -l app.kubernetes.io/name=").append(n.gateway()).append(" --timeout=120s\n"
                + "kubectl apply -k data\n"
                + "kubectl wait").append(ns).append(" --for=condition=Ready pod/").append(tool).append('\n')
                .append("kubectl exec").append(ns).append(' ').append(tool).append(" -- ").append(jar).append(" data export /app /tmp/backup.zip\n")
                .append("kubectl cp ").append(n.namespace()).append('/').append(tool).append(":/tmp/backup.zip ./backup.zip\n")
                .append("kubectl delete -k data\n")
                .append("kubectl scale").append(ns).append(" deployment/").append(n.gateway()).append(" --replicas=1\n```\n\n");
        r.append("Restore: the same steps, with these in place of the export and the copy (`--replace` replaces each Base and Drive the "
                + "backup holds; without it, data that would be overwritten is refused and nothing changes):\n\n```sh\n"
                + "kubectl cp ./backup.zip ").append(n.namespace()).append('/').append(tool).append(":/tmp/backup.zip\n")
                .append("kubectl exec").append(ns).append(' ').append(tool).append(" -- ").append(jar).append(" data import /tmp/backup.zip /app --replace\n```\n\n");
        r.append("A backup taken with `micros data export` on one machine, or Space's own Data Export, restores the same way. On a new "
                + "volume, apply `setup` and let the gateway start once before restoring: it writes the Secret's project key there.\n\n");
    }

    private static void promised(StringBuilder r, List<Dockerfiles.Static> statics) {
        r.append("## What Space promised, and who keeps it here\n\n"
                + "- Private by default, public routes, API keys, reserved `/__space/` paths, whole requests, the 5.5 MiB payload limit, "
                + "scheduled actions: the gateway, as with `micros run`.\n"
                + "- The 20 s execution timeout: the gateway answers 504 and cuts the connection; Knative's `timeoutSeconds: "
                + Manifests.TIMEOUT_SECONDS + "` ends the request on the micro's side.\n"
                + "- Scale to zero and cold starts: Knative (see Scaling).\n"
                + "- 512 MiB of memory: the container's memory limit (Kubernetes kills the container; Knative starts another).\n"
                + "- The sandbox: a read-only root filesystem, a private " + Manifests.TMP + " `/tmp` (an emptyDir), no capabilities, not "
                + "root (uid 65534), the runtime's default seccomp profile.\n\n");
        r.append("## What does not carry over\n\n"
                + "- The 1024-process limit is a node-level setting on Kubernetes (the kubelet's `podPidsLimit`), not one a Service can set.\n"
                + "- Freezing between requests: Knative keeps an idle micro running until it scales it to zero.\n"
                + "- One uid per micro: every micro runs as uid 65534 in its own container; containers, not uids, keep them apart.\n"
                + "- A micro's own URL: a micro sees its Knative host in `Host`, and the app's host in `X-Forwarded-Host`.\n");
    }
}
