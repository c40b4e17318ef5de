package micros.export;

import static micros.export.Yaml.map;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import micros.spacefile.App.EnvVar;
import micros.spacefile.App.Micro;

/**
 * The Kubernetes side of an export: a Knative Service per process micro (Space's limits as
 * Knative and Kubernetes express them), the gateway's Deployment, Service and data volume, the
 * NetworkPolicies that leave the gateway the only way in, and a pod for the data's backups.
 * Every pod meets Pod Security "restricted"; secrets are only ever referenced (secretKeyRef),
 * never written; images are named by the app, and kustomize's `images:` says where they are.
 */
public final class Manifests {
    static final int TIMEOUT_SECONDS = 20;
    static final String MEMORY = "512Mi", TMP = "512Mi";
    /** The gateway's Base and Drive port, and where the micros find micros' CA (a ConfigMap made from the gateway's). */
    static final int DATA_PORT = 4443, HTTP_PORT = 8080;
    static final String CA_MOUNT = "/etc/micros-ca", CA_CERT = "micros-ca.pem", CA_BUNDLE = "ca-bundle.pem", CA_DIR = "/app/.micros/ca";
    /** The Secret's key that the gateway sends and the micros' guard checks. */
    static final String GATEWAY_KEY = "MICROS_GATEWAY_KEY";
    static final String KNATIVE_NAMESPACE = "knative-serving";
    /** Knative's queue-proxy in a micro's pod: HTTP/1, HTTP/2 and TLS from the activator and the ingress; metrics for the autoscaler. */
    static final List<Integer> QUEUE_PORTS = List.of(8012, 8013, 8112);
    static final int QUEUE_METRICS_PORT = 9090;
    /**
     * Knative's autoscaling, from Space's behaviour: a micro sleeps when idle and the next request
     * wakes it (min-scale 0); each execution ran alone in its instance, so each pod is sized for
     * one request at a time (a soft target: a burst shares pods while more start); a cap Space
     * never showed keeps a burst within the cluster's means; an idle pod is kept as long as
     * `micros run` keeps an idle micro (--idle, 5 minutes).
     */
    static final Map<String, Object> AUTOSCALING = map(
            "autoscaling.knative.dev/min-scale", "0",
            "autoscaling.knative.dev/max-scale", "10",
            "autoscaling.knative.dev/target", "1",
            "autoscaling.knative.dev/target-utilization-percentage", "100",
            "autoscaling.knative.dev/scale-to-zero-pod-retention-period", "5m");

    /** The names and settings every manifest shares. */
    public record Names(String app, String namespace, String imagePrefix, String imageTag, String ingressNamespace) {
        String service(Micro m) {
            return micros.export.Names.join(app, micros.export.Names.dns(m.name()));
        }

        /** An image's name in the manifests; kustomize's images: maps it to {@link #imageRef}. */
        String image(String what) {
            return micros.export.Names.join(app, what);
        }

        /** Where an image is pushed and pulled: the registry prefix, its name and the tag. */
        String imageRef(String what) {
            return imagePrefix + image(what) + ":" + imageTag;
        }

        String gateway() {
            return micros.export.Names.join(app, micros.export.Names.GATEWAY);
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

        Map<String, Object> labels() {
            return map("app.kubernetes.io/part-of", app);
        }

        Map<String, Object> microLabels() {
            return map("app.kubernetes.io/part-of", app, "app.kubernetes.io/component", "micro");
        }

        Map<String, Object> gatewayLabels() {
            return map("app.kubernetes.io/name", gateway(), "app.kubernetes.io/part-of", app);
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
        env.add(map("name", "DETA_SPACE_APP_VERSION", "value", n.imageTag()));
        env.add(map("name", "DETA_SPACE_APP_HOSTNAME", "value", n.host()));
        env.add(map("name", "DETA_SPACE_APP_MICRO_NAME", "value", m.name()));
        env.add(map("name", "DETA_SPACE_APP_MICRO_TYPE", "value", m.primary() ? "primary" : "normal"));
        env.add(secretEnv("DETA_PROJECT_KEY", n.secret(), "DETA_PROJECT_KEY", false));
        env.add(secretEnv("DETA_API_KEY", n.secret(), "DETA_API_KEY", false));
        env.add(secretEnv(GATEWAY_KEY, n.secret(), GATEWAY_KEY, false)); // the guard takes it out before the micro starts
        // Base and Drive: the gateway's data server, over TLS with the gateway's CA (mounted from the ConfigMap)
        env.add(map("name", "DETA_BASE_HOST", "value", n.dataName() + ":" + DATA_PORT));
        env.add(map("name", "DETA_DRIVE_HOST", "value", n.dataName() + ":" + DATA_PORT));
        for (String v : micros.data.DataServer.CA_VARIABLES)
            env.add(map("name", v, "value", CA_MOUNT + "/" + (v.equals("NODE_EXTRA_CA_CERTS") ? CA_CERT : CA_BUNDLE))); // node adds to its own CAs, the rest replace theirs
        for (EnvVar v : m.env()) env.add(secretEnv(v.name(), n.secret(), presetKey(m, v), v.defaultValue() == null));
        // no readinessProbe: Knative's default dials the port (the guard listens once the micro does); an HTTP probe would lack the key
        Map<String, Object> container = map(
                "name", "micro",
                "image", n.image(micros.export.Names.dns(m.name())),
                "ports", List.of(map("containerPort", HTTP_PORT)),
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
                        "metadata", map("labels", n.microLabels(), "annotations", AUTOSCALING),
                        "spec", map(
                                "automountServiceAccountToken", false, // app code needs no Kubernetes API
                                "enableServiceLinks", false,
                                "timeoutSeconds", TIMEOUT_SECONDS,
                                "containers", List.of(container),
                                // /tmp needs Knative 1.13 or later (before, /tmp was a reserved path) and emptyDir volumes enabled
                                "volumes", List.of(map("name", "tmp", "emptyDir", map("sizeLimit", TMP)),
                                        map("name", "micros-ca", "configMap", map("name", n.ca())))))));
    }

    /**
     * Space's sandbox as a container's, and Pod Security "restricted" at the container's level
     * (Knative takes pod-level security settings only behind a feature flag): read-only root, not
     * root, no capabilities, no privilege escalation, the runtime's default seccomp profile.
     */
    static Map<String, Object> restricted() {
        return map("readOnlyRootFilesystem", true, "runAsNonRoot", true, "runAsUser", 65534, "runAsGroup", 65534,
                "allowPrivilegeEscalation", false, "capabilities", map("drop", List.of("ALL")), "seccompProfile", map("type", "RuntimeDefault"));
    }

    /** The same at the pod's level, where Kubernetes takes it (the gateway and the data pod); fsGroup lets uid 65534 write the volume. */
    private static Map<String, Object> restrictedPod() {
        return map("runAsNonRoot", true, "runAsUser", 65534, "runAsGroup", 65534, "fsGroup", 65534, "seccompProfile", map("type", "RuntimeDefault"));
    }

    private static Map<String, Object> secretEnv(String name, String secret, String key, boolean optional) {
        Map<String, Object> ref = map("name", secret, "key", key);
        if (optional) ref.put("optional", true);
        return map("name", name, "valueFrom", map("secretKeyRef", ref));
    }

    /** The front door: a data volume, one gateway replica (it owns the data and runs the scheduled actions), its Service. */
    static List<Map<String, Object>> gateway(Names n, List<Micro> remote, boolean apiKeys) {
        Map<String, Object> labels = n.gatewayLabels();
        // the owner token and API keys come from the environment (MICROS_OWNER_TOKEN, MICROS_API_KEYS): never on the command line
        List<Object> args = new ArrayList<>(List.of("--host", "0.0.0.0", "--port", Integer.toString(HTTP_PORT),
                "--data-host", "0.0.0.0", "--data-port", Integer.toString(DATA_PORT), "--data-name", n.dataName(), "--app-version", n.imageTag()));
        for (Micro m : remote) args.addAll(List.of("--micro", m.name() + "=" + n.url(m)));
        List<Object> env = new ArrayList<>();
        env.add(secretEnv("MICROS_OWNER_TOKEN", n.secret(), "MICROS_OWNER_TOKEN", false));
        env.add(secretEnv("DETA_API_KEY", n.secret(), "DETA_API_KEY", false));
        env.add(secretEnv("MICROS_PROJECT_KEY", n.secret(), "DETA_PROJECT_KEY", false)); // Base and Drive take the key the micros get
        env.add(secretEnv(GATEWAY_KEY, n.secret(), GATEWAY_KEY, false)); // sent with every request to a micro
        env.add(map("name", "MICROS_CA_DIR", "value", CA_DIR)); // the CA on the data volume: the micros' ConfigMap is made from it
        if (apiKeys) env.add(secretEnv("MICROS_API_KEYS", n.secret(), "MICROS_API_KEYS", false));
        Map<String, Object> health = map("path", micros.gateway.Gateway.HEALTH, "port", "http");
        Map<String, Object> container = map(
                "name", "gateway",
                "image", n.image(micros.export.Names.GATEWAY),
                "args", args,
                "ports", List.of(map("name", "http", "containerPort", HTTP_PORT), map("name", "data", "containerPort", DATA_PORT)),
                "env", env,
                // over HTTP: the gateway answers, not only its socket; a first start makes its CA (up to a minute on a slow node)
                "startupProbe", map("httpGet", health, "periodSeconds", 2, "failureThreshold", 60),
                "readinessProbe", map("httpGet", health, "periodSeconds", 5),
                "livenessProbe", map("httpGet", health, "periodSeconds", 10, "timeoutSeconds", 5, "failureThreshold", 6),
                "resources", map("limits", map("memory", MEMORY), "requests", map("memory", "128Mi")),
                "securityContext", restricted(),
                "volumeMounts", List.of(map("name", "data", "mountPath", "/app/.micros"), map("name", "tmp", "mountPath", "/tmp")));
        Map<String, Object> pvc = map("apiVersion", "v1", "kind", "PersistentVolumeClaim",
                "metadata", map("name", n.data(), "namespace", n.namespace(), "labels", labels),
                "spec", map("accessModes", List.of("ReadWriteOnce"), "resources", map("requests", map("storage", "1Gi"))));
        Map<String, Object> deployment = map("apiVersion", "apps/v1", "kind", "Deployment",
                "metadata", map("name", n.gateway(), "namespace", n.namespace(), "labels", labels),
                // Recreate: the old pod lets go of the volume before the new one mounts it (one writer)
                "spec", map("replicas", 1, "strategy", map("type", "Recreate"), "selector", map("matchLabels", labels),
                        "template", map("metadata", map("labels", labels), "spec", map(
                                "automountServiceAccountToken", false,
                                "enableServiceLinks", false,
                                "securityContext", restrictedPod(),
                                "containers", List.of(container),
                                "volumes", List.of(map("name", "data", "persistentVolumeClaim", map("claimName", n.data())),
                                        map("name", "tmp", "emptyDir", map("sizeLimit", TMP)))))));
        Map<String, Object> service = map("apiVersion", "v1", "kind", "Service",
                "metadata", map("name", n.gateway(), "namespace", n.namespace(), "labels", labels),
                "spec", map("selector", labels, "ports", List.of(map("name", "http", "port", 80, "targetPort", "http"),
                        map("name", "data", "port", DATA_PORT, "targetPort", "data"))));
        return List.of(pvc, deployment, service);
    }

    /**
     * The gateway as the only door: a micro's pod takes connections only at Knative's
     * queue-proxy and only from Knative (the activator, the autoscaler) and the cluster-local
     * ingress; the gateway's Base and Drive port only from the app's micros. Its HTTP port stays
     * open to the ingress controller, wherever that runs: the gateway does the login.
     */
    static List<Map<String, Object>> networkPolicies(Names n) {
        List<Object> queue = new ArrayList<>();
        for (int p : QUEUE_PORTS) queue.add(map("protocol", "TCP", "port", p));
        Map<String, Object> toMicros = map("apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy",
                "metadata", map("name", micros.export.Names.join(n.app(), "micros"), "namespace", n.namespace(), "labels", n.labels()),
                "spec", map("podSelector", map("matchLabels", n.microLabels()), "policyTypes", List.of("Ingress"),
                        "ingress", List.of(
                                map("from", List.of(inNamespace(KNATIVE_NAMESPACE), inNamespace(n.ingressNamespace())), "ports", queue),
                                map("from", List.of(inNamespace(KNATIVE_NAMESPACE)), "ports", List.of(map("protocol", "TCP", "port", QUEUE_METRICS_PORT))))));
        Map<String, Object> gateway = map("apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy",
                "metadata", map("name", n.gateway(), "namespace", n.namespace(), "labels", n.labels()),
                "spec", map("podSelector", map("matchLabels", n.gatewayLabels()), "policyTypes", List.of("Ingress"),
                        "ingress", List.of(
                                map("ports", List.of(map("protocol", "TCP", "port", HTTP_PORT))),
                                map("from", List.of(map("podSelector", map("matchLabels", n.microLabels()))),
                                        "ports", List.of(map("protocol", "TCP", "port", DATA_PORT))))));
        return List.of(toMicros, gateway);
    }

    private static Map<String, Object> inNamespace(String namespace) {
        return map("namespaceSelector", map("matchLabels", map("kubernetes.io/metadata.name", namespace)));
    }

    /** A pod on the gateway's volume and image that waits, for `data export` and `data import` while the gateway is scaled to zero. */
    static Map<String, Object> dataPod(Names n) {
        Map<String, Object> container = map(
                "name", "data",
                "image", n.image(micros.export.Names.GATEWAY),
                "command", List.of("sleep", "infinity"), // PID 1 is not micros: data export and import run beside it (kubectl exec)
                "resources", map("limits", map("memory", MEMORY), "requests", map("memory", "128Mi")),
                "securityContext", restricted(),
                "volumeMounts", List.of(map("name", "data", "mountPath", "/app/.micros"), map("name", "tmp", "mountPath", "/tmp")));
        return map("apiVersion", "v1", "kind", "Pod",
                "metadata", map("name", micros.export.Names.join(n.app(), "data-tool"), "namespace", n.namespace(), "labels", n.labels()),
                "spec", map(
                        "automountServiceAccountToken", false,
                        "enableServiceLinks", false,
                        "restartPolicy", "Never",
                        "securityContext", restrictedPod(),
                        "containers", List.of(container),
                        "volumes", List.of(map("name", "data", "persistentVolumeClaim", map("claimName", n.data())),
                                map("name", "tmp", "emptyDir", map("sizeLimit", TMP)))));
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
