package micros.export;

import java.util.ArrayList;
import java.util.List;

import micros.spacefile.App;
import micros.spacefile.App.EnvVar;
import micros.spacefile.App.Micro;

/** The export's README.md: what runs where, how to build and apply it, and what does not carry over. */
final class ExportReadme {
    private ExportReadme() {}

    static String text(App app, Manifests.Names n, List<Micro> remote, List<Dockerfiles.Static> statics, boolean apiKeys, String marker) {
        StringBuilder r = new StringBuilder();
        r.append(marker).append("\n# ").append(app.displayName()).append(" on Kubernetes with Knative\n\n");
        r.append("Written by `micros export knative` from the app's Spacefile. The app keeps one front door, as on Space: "
                + "`micros gateway` (Deployment `").append(n.gateway()).append("`) does the login, API keys, public routes, reserved paths, "
                + "whole requests, the payload limit, the execution timeout, scheduled actions and the dashboard, and serves the static micros' files. "
                + "Each process micro is a Knative Service that scales to zero, reachable only inside the cluster.\n\n");
        r.append("## What runs where\n\n| micro | path | runs as | image |\n|---|---|---|---|\n");
        for (Micro m : app.micros()) {
            String path = m.prefix().isEmpty() ? "/" : m.prefix();
            boolean isRemote = remote.contains(m);
            r.append("| ").append(m.name()).append(" | `").append(path).append("` | ")
                    .append(isRemote ? "Knative Service `" + n.service(m) + "` (" + n.url(m) + ")" : "files served by the gateway")
                    .append(" | `").append(isRemote ? n.image(Names.dns(m.name())) : n.image("gateway")).append("` |\n");
        }
        r.append("\nFolders: `micros/NAME/` holds a micro's Dockerfile, what Space would have packaged (`app/`, after `include` and "
                + "`.spaceignore`), the legacy launcher when the micro has no `run`, and its `service.yaml`; `gateway/` holds micros.jar, "
                + "the Spacefile, the static micros' files and `gateway.yaml` (a PersistentVolumeClaim for `.micros` — the data micros keeps "
                + "for the app, such as Base and Drive — one gateway replica, and its Service); `ingress.example.yaml` shows the app's "
                + "host as an Ingress and as a Gateway API HTTPRoute. No image holds anything of micros' state folder (`.micros`, or "
                + "`MICROS_STATE_DIR`: the project key, Base and Drive, run.properties), what Space's ignore list leaves out, a symbolic "
                + "link, or a file holding the project key or a token (`export` named each one it left out).\n\n");
        r.append("## Build and apply\n\n```sh\n");
        for (Micro m : remote) r.append("docker build -t ").append(n.image(Names.dns(m.name()))).append(" micros/").append(m.name()).append('\n');
        r.append("docker build -t ").append(n.image("gateway")).append(" gateway\n");
        r.append("# push the images where the cluster pulls from (--image-prefix sets the registry part of their names)\n\n");
        r.append("# a project key: echo \"$(tr -dc a-z0-9 </dev/urandom | head -c 8)_$(tr -dc A-Za-z0-9 </dev/urandom | head -c 32)\"\n");
        r.append("kubectl create secret generic ").append(n.secret()).append(" --namespace ").append(n.namespace()).append(" \\\n");
        List<String> keys = new ArrayList<>(List.of("MICROS_OWNER_TOKEN=<the owner's login token, 8 characters or more>",
                "DETA_PROJECT_KEY=<a project key: 8 lowercase letters or digits, _, 32 letters or digits>", "DETA_API_KEY=<a random key the micros use to call the app>"));
        if (apiKeys) keys.add("MICROS_API_KEYS=<the keys clients send in X-Space-App-Key, comma-separated>");
        for (Micro m : remote)
            for (EnvVar v : m.env())
                keys.add(Manifests.presetKey(m, v) + "=" + (v.defaultValue() != null ? v.defaultValue() : "<" + v.name() + ", optional>"));
        for (int i = 0; i < keys.size(); i++)
            r.append("  --from-literal='").append(keys.get(i).replace("'", "'\\''")).append('\'').append(i < keys.size() - 1 ? " \\\n" : "\n");
        String ns = " --namespace " + n.namespace();
        r.append("# the gateway first: it makes the app's certificate authority on its volume (" + Manifests.CA_DIR + ")\n");
        r.append("kubectl apply -f gateway/gateway.yaml\n");
        r.append("kubectl rollout status deployment/").append(n.gateway()).append(ns).append('\n');
        r.append("# the micros trust that CA for Base and Drive: a ConfigMap made from the gateway's files\n");
        r.append("kubectl exec").append(ns).append(" deploy/").append(n.gateway()).append(" -- cat ").append(Manifests.CA_DIR).append('/')
                .append(Manifests.CA_CERT).append(" > ").append(Manifests.CA_CERT).append('\n');
        r.append("kubectl exec").append(ns).append(" deploy/").append(n.gateway()).append(" -- cat /etc/ssl/certs/ca-certificates.crt > ")
                .append(Manifests.CA_BUNDLE).append('\n');
        r.append("cat ").append(Manifests.CA_CERT).append(" >> ").append(Manifests.CA_BUNDLE).append('\n');
        r.append("kubectl create configmap ").append(n.ca()).append(ns).append(" --from-file=").append(Manifests.CA_CERT)
                .append(" --from-file=").append(Manifests.CA_BUNDLE).append('\n');
        r.append("kubectl apply -k .\n```\n\n");
        r.append("Base and Drive: the gateway serves them (`--data-host 0.0.0.0 --data-port ").append(Manifests.DATA_PORT)
                .append(" --data-name ").append(n.dataName()).append("`) over TLS on its Service's port ").append(Manifests.DATA_PORT)
                .append(", with a certificate from its CA that names `").append(n.dataName()).append("`; every micro gets `DETA_BASE_HOST` and `DETA_DRIVE_HOST` = `")
                .append(n.dataName()).append(':').append(Manifests.DATA_PORT).append("`, the Secret's `DETA_PROJECT_KEY` (the gateway takes the same one as "
                + "`MICROS_PROJECT_KEY`), and the ConfigMap `").append(n.ca()).append("` mounted read-only at `").append(Manifests.CA_MOUNT)
                .append("` (`NODE_EXTRA_CA_CERTS` names `").append(Manifests.CA_CERT).append("`; `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE` and `CURL_CA_BUNDLE` "
                + "name `").append(Manifests.CA_BUNDLE).append("`, the system's CAs followed by micros' CA, so other HTTPS still works). The CA must be the "
                + "gateway's: the one in `").append(Manifests.CA_DIR).append("` on its volume (`MICROS_CA_DIR`), which can vouch only for "
                + "`localhost` and that name; if that volume is ever replaced, or the gateway's log says it made its CA anew (30 days before "
                + "its server certificate's 825 days run out), make the ConfigMap again.\n\n");
        r.append("Every secret (the owner's token, DETA_PROJECT_KEY, DETA_API_KEY");
        if (apiKeys) r.append(", the API keys");
        r.append(", and each preset variable, with the Spacefile's default above) comes from the Secret `").append(n.secret())
                .append("` through `secretKeyRef`; none is written in these files. Log in with `https://").append(n.host())
                .append("/?space_token=TOKEN`. Change the host `").append(n.host()).append("` in `ingress.example.yaml` and in the micros' "
                + "`DETA_SPACE_APP_HOSTNAME`.\n\n");
        r.append("## What Space promised, and who keeps it here\n\n"
                + "- Private by default, public routes, API keys, reserved `/__space/` paths, whole requests, the 5.5 MiB payload limit, "
                + "scheduled actions: the gateway, as with `micros run`.\n"
                + "- The 20 s execution timeout: the gateway answers 504 and cuts the connection; Knative's `timeoutSeconds: "
                + Manifests.TIMEOUT_SECONDS + "` ends the request on the micro's side.\n"
                + "- Scale to zero and cold starts: Knative (`autoscaling.knative.dev/min-scale: \"0\"`).\n"
                + "- 512 MiB of memory: the container's memory limit (Kubernetes kills the container; Knative starts another).\n"
                + "- The sandbox: a read-only root filesystem, a private " + Manifests.TMP + " `/tmp` (an emptyDir; Knative needs "
                + "`kubernetes.podspec-volumes-emptydir` enabled, the default in recent releases), no capabilities, not root (uid 65534).\n\n");
        r.append("## What does not carry over\n\n"
                + "- The 1024-process limit is a node-level setting on Kubernetes (the kubelet's `podPidsLimit`), not one a Service can set.\n"
                + "- Freezing between requests: Knative keeps an idle micro running until it scales it to zero.\n"
                + "- One uid per micro: every micro runs as uid 65534 in its own container; containers, not uids, keep them apart.\n"
                + "- The gateway keeps its data on one volume: run one replica (scheduled actions would otherwise fire once per replica).\n"
                + "- A micro's own URL: a micro sees its Knative host in `Host`, and the app's host in `X-Forwarded-Host`.\n");
        if (statics.stream().anyMatch(Dockerfiles.Static::build))
            r.append("- Static micros with a build (`commands`, or `npm run build` when the folder to serve is missing) are built in the "
                    + "gateway's image; their files are served by the gateway.\n");
        return r.toString();
    }
}
