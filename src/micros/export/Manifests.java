package micros.export;

import static micros.export.Yaml.map;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import micros.spacefile.App.EnvVar;
import micros.spacefile.App.Micro;

/**
 * The Kubernetes side of an export: a Knative Service per process micro (Space's limits as
 * Knative and Kubernetes express them), and the gateway's Deployment, Service and data volume.
 * Secrets are only ever referenced (secretKeyRef), never written.
 */
public final class Manifests {
    static final int TIMEOUT_SECONDS = 20;
    static final String MEMORY = "512Mi", TMP = "512Mi";
    /** The gateway's Base and Drive port, and where the micros find micros' CA (a ConfigMap made from the gateway's). */
    static final int DATA_PORT = 4443;
    static final String CA_MOUNT = "/etc/micros-ca", CA_CERT = "micros-ca.pem", CA_BUNDLE = "ca-bundle.pem", CA_DIR = "/app/.micros/ca";

    /** The names and settings every manifest shares. */
    public record Names(String app, String namespace, String imagePrefix) {
        String service(Micro m) {
            return micros.export.Names.join(app, micros.export.Names.dns(m.name()));
        }

        String image(String what) {
            return imagePrefix + micros.export.Names.join(app, what) + ":latest";
        }

        String gateway() {
            return micros.export.Names.join(app, "gateway");
        }

        String secret() {
            return micros.export.Names.join(app, "secrets");
        }

        String data() {
            return micros.export.Names.join(app, "data");
        }

        /** The ConfigMap with the gateway's CA certificate (and a bundle: the system's CAs and it). */
        String ca() {
            return micros.export.Names.join(app, "ca");
        }

        /** The gateway Service's cluster name: what DETA_BASE_HOST names, and the data server's certificate. */
        String dataName() {
            return gateway() + "." + namespace + ".svc.cluster.local";
        }

        /** Where the gateway reaches a micro: its Knative service's cluster-local address. */
        String url(Micro m) {
            return "http://" + service(m) + "." + namespace + ".svc.cluster.local";
        }

        String host() {
            return app + ".example.com";
        }
    }

    /** A secret's key for a micro's preset variable: "<micro>.<NAME>". */
    static String presetKey(Micro m, EnvVar v) {
        return m.name() + "." + v.name();
    }

    private Manifests() {}

    /** The app's name in Kubernetes names. */
    public static String appName(micros.spacefile.App app) {
        return micros.export.Names.dns(app.displayName());
    }

    static Map<String, Object> knative(Names n, Micro m) {
        List<Object> env = new ArrayList<>();
        env.add(map("name", "DETA_SPACE_APP", "value", "true"));
        env.add(map("name", "DETA_SPACE_APP_VERSION", "value", "dev"));
        env.add(map("name", "DETA_SPACE_APP_HOSTNAME", "value", n.host()));
        env.add(map("name", "DETA_SPACE_APP_MICRO_NAME", "value", m.name()));
        env.add(map("name", "DETA_SPACE_APP_MICRO_TYPE", "value", m.primary() ? "primary" : "normal"));
        env.add(secretEnv("DETA_PROJECT_KEY", n.secret(), "DETA_PROJECT_KEY", false));
        env.add(secretEnv("DETA_API_KEY", n.secret(), "DETA_API_KEY", false));
        // Base and Drive: the gateway's data server, over TLS with the gateway's CA (mounted from the ConfigMap)
        env.add(map("name", "DETA_BASE_HOST", "value", n.dataName() + ":" + DATA_PORT));
        env.add(map("name", "DETA_DRIVE_HOST", "value", n.dataName() + ":" + DATA_PORT));
        for (String v : micros.data.DataServer.CA_VARIABLES)
            env.add(map("name", v, "value", CA_MOUNT + "/" + (v.equals("NODE_EXTRA_CA_CERTS") ? CA_CERT : CA_BUNDLE))); // node adds to its own CAs, the rest replace theirs
        for (EnvVar v : m.env()) env.add(secretEnv(v.name(), n.secret(), presetKey(m, v), v.defaultValue() == null));
        Map<String, Object> container = map(
                "name", "micro",
                "image", n.image(micros.export.Names.dns(m.name())),
                "ports", List.of(map("containerPort", 8080)),
                "env", env,
                "resources", map("limits", map("memory", MEMORY), "requests", map("memory", "128Mi")),
                "securityContext", restricted(),
                "volumeMounts", List.of(map("name", "tmp", "mountPath", "/tmp"), map("name", "micros-ca", "mountPath", CA_MOUNT, "readOnly", true)));
        return map(
                "apiVersion", "serving.knative.dev/v1",
                "kind", "Service",
                "metadata", map("name", n.service(m), "namespace", n.namespace(),
                        "labels", map("app.kubernetes.io/part-of", n.app(), "networking.knative.dev/visibility", "cluster-local")),
                "spec", map("template", map(
                        "metadata", map("annotations", map("autoscaling.knative.dev/min-scale", "0")),
                        "spec", map(
                                "timeoutSeconds", TIMEOUT_SECONDS,
                                "containers", List.of(container),
                                "volumes", List.of(map("name", "tmp", "emptyDir", map("sizeLimit", TMP)),
                                        map("name", "micros-ca", "configMap", map("name", n.ca())))))));
    }

    /** Space's sandbox as a container's: read-only root, no privileges, not root. */
    private static Map<String, Object> restricted() {
        return map("readOnlyRootFilesystem", true, "runAsNonRoot", true, "runAsUser", 65534, "runAsGroup", 65534,
                "allowPrivilegeEscalation", false, "capabilities", map("drop", List.of("ALL")));
    }

    private static Map<String, Object> secretEnv(String name, String secret, String key, boolean optional) {
        Map<String, Object> ref = map("name", secret, "key", key);
        if (optional) ref.put("optional", true);
        return map("name", name, "valueFrom", map("secretKeyRef", ref));
    }

    /** The front door: a data volume, one gateway replica (it owns the data and runs the scheduled actions), its Service. */
    static List<Map<String, Object>> gateway(Names n, List<Micro> remote, boolean apiKeys) {
        Map<String, Object> labels = map("app.kubernetes.io/name", n.gateway(), "app.kubernetes.io/part-of", n.app());
        // the owner token and API keys come from the environment (MICROS_OWNER_TOKEN, MICROS_API_KEYS): never on the command line
        List<Object> args = new ArrayList<>(List.of("--host", "0.0.0.0", "--port", "8080",
                "--data-host", "0.0.0.0", "--data-port", Integer.toString(DATA_PORT), "--data-name", n.dataName()));
        for (Micro m : remote) args.addAll(List.of("--micro", m.name() + "=" + n.url(m)));
        List<Object> env = new ArrayList<>();
        env.add(secretEnv("MICROS_OWNER_TOKEN", n.secret(), "MICROS_OWNER_TOKEN", false));
        env.add(secretEnv("DETA_API_KEY", n.secret(), "DETA_API_KEY", false));
        env.add(secretEnv("MICROS_PROJECT_KEY", n.secret(), "DETA_PROJECT_KEY", false)); // Base and Drive take the key the micros get
        env.add(map("name", "MICROS_CA_DIR", "value", CA_DIR)); // the CA on the data volume: the micros' ConfigMap is made from it
        if (apiKeys) env.add(secretEnv("MICROS_API_KEYS", n.secret(), "MICROS_API_KEYS", false));
        Map<String, Object> container = map(
                "name", "gateway",
                "image", n.image("gateway"),
                "args", args,
                "ports", List.of(map("name", "http", "containerPort", 8080), map("name", "data", "containerPort", DATA_PORT)),
                "env", env,
                "readinessProbe", map("tcpSocket", map("port", 8080)),
                "resources", map("limits", map("memory", MEMORY), "requests", map("memory", "128Mi")),
                "securityContext", restricted(),
                "volumeMounts", List.of(map("name", "data", "mountPath", "/app/.micros"), map("name", "tmp", "mountPath", "/tmp")));
        Map<String, Object> pvc = map("apiVersion", "v1", "kind", "PersistentVolumeClaim",
                "metadata", map("name", n.data(), "namespace", n.namespace(), "labels", labels),
                "spec", map("accessModes", List.of("ReadWriteOnce"), "resources", map("requests", map("storage", "1Gi"))));
        Map<String, Object> deployment = map("apiVersion", "apps/v1", "kind", "Deployment",
                "metadata", map("name", n.gateway(), "namespace", n.namespace(), "labels", labels),
                "spec", map("replicas", 1, "strategy", map("type", "Recreate"), "selector", map("matchLabels", labels),
                        "template", map("metadata", map("labels", labels), "spec", map(
                                "securityContext", map("fsGroup", 65534),
                                "containers", List.of(container),
                                "volumes", List.of(map("name", "data", "persistentVolumeClaim", map("claimName", n.data())),
                                        map("name", "tmp", "emptyDir", map("sizeLimit", TMP)))))));
        Map<String, Object> service = map("apiVersion", "v1", "kind", "Service",
                "metadata", map("name", n.gateway(), "namespace", n.namespace(), "labels", labels),
                "spec", map("selector", labels, "ports", List.of(map("name", "http", "port", 80, "targetPort", "http"),
                        map("name", "data", "port", DATA_PORT, "targetPort", "data"))));
        return List.of(pvc, deployment, service);
    }

    /** How the app's host reaches the gateway: an Ingress, and the same as a Gateway API HTTPRoute. */
    static List<Map<String, Object>> ingress(Names n) {
        Map<String, Object> ingress = map("apiVersion", "networking.k8s.io/v1", "kind", "Ingress",
                "metadata", map("name", n.app(), "namespace", n.namespace()),
                "spec", map("rules", List.of(map("host", n.host(), "http", map("paths", List.of(map("path", "/", "pathType", "Prefix",
                        "backend", map("service", map("name", n.gateway(), "port", map("number", 80))))))))));
        Map<String, Object> route = map("apiVersion", "gateway.networking.k8s.io/v1", "kind", "HTTPRoute",
                "metadata", map("name", n.app(), "namespace", n.namespace()),
                "spec", map("parentRefs", List.of(map("name", "example-gateway")), "hostnames", List.of(n.host()),
                        "rules", List.of(map("backendRefs", List.of(map("name", n.gateway(), "port", 80))))));
        return List.of(ingress, route);
    }
}
