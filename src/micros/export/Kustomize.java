package micros.export;

import static micros.export.Yaml.map;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import micros.spacefile.App.Micro;

/**
 * The kustomizations that tie an export together, in the order they are applied: {@code setup/}
 * (the Secret from setup/secrets.env, the gateway and its volume, the NetworkPolicies), then the
 * top folder (all of that, the CA ConfigMap from ca/, the micros); {@code data/} is the backup
 * pod. The generated Secret and ConfigMap keep their names (no hash suffix): the Knative
 * Services name them, and kustomize does not rewrite references inside Knative's objects.
 * Images: the manifests name each by the app, and {@code images:} maps it to the registry and tag.
 */
final class Kustomize {
    static final String SECRETS_FILE = "secrets.env", CA_FOLDER = "ca";

    private Kustomize() {}

    private static Map<String, Object> kustomization(Object... kv) {
        Map<String, Object> k = map("apiVersion", "kustomize.config.k8s.io/v1beta1", "kind", "Kustomization");
        k.putAll(map(kv));
        return k;
    }

    private static Map<String, Object> image(Manifests.Names n, String what) {
        return map("name", n.image(what), "newName", n.imagePrefix() + n.image(what), "newTag", n.imageTag());
    }

    /** gateway/: its Deployment, Service and volume, and where its image is. */
    static Map<String, Object> gateway(Manifests.Names n) {
        return kustomization("resources", List.of("gateway.yaml"), "images", List.of(image(n, Names.GATEWAY)));
    }

    /** setup/: applied first, so that the gateway makes the CA the micros will trust. */
    static Map<String, Object> setup(Manifests.Names n) {
        return kustomization("resources", List.of("../gateway", "network-policy.yaml"),
                "secretGenerator", List.of(map("name", n.secret(), "namespace", n.namespace(), "envs", List.of(SECRETS_FILE),
                        "options", map("disableNameSuffixHash", true))));
    }

    /** The whole app. */
    static Map<String, Object> app(Manifests.Names n, List<Micro> remote) {
        List<Object> resources = new ArrayList<>(List.of("setup"));
        List<Object> images = new ArrayList<>();
        for (Micro m : remote) {
            resources.add("micros/" + m.name() + "/service.yaml");
            images.add(image(n, Names.dns(m.name())));
        }
        Map<String, Object> k = kustomization("resources", resources,
                "configMapGenerator", List.of(map("name", n.ca(), "namespace", n.namespace(),
                        "files", List.of(CA_FOLDER + "/" + Manifests.CA_CERT, CA_FOLDER + "/" + Manifests.CA_BUNDLE),
                        "options", map("disableNameSuffixHash", true))));
        if (!images.isEmpty()) k.put("images", images);
        return k;
    }

    /** data/: the backup and restore pod, on the gateway's image. */
    static Map<String, Object> data(Manifests.Names n) {
        return kustomization("resources", List.of("pod.yaml"), "images", List.of(image(n, Names.GATEWAY)));
    }

    /** The keys setup/secrets.env must hold, each with what it is (the example file and the README list them). */
    static Map<String, String> secretKeys(List<Micro> remote, boolean apiKeys) {
        Map<String, String> keys = new java.util.LinkedHashMap<>();
        keys.put("MICROS_OWNER_TOKEN", "the owner's login token: 8 characters or more");
        keys.put("DETA_PROJECT_KEY", "the project key: 8 lowercase letters or digits, '_', 32 letters or digits");
        keys.put("DETA_API_KEY", "a random key the micros call the app with");
        keys.put(Manifests.GATEWAY_KEY, "a random key of 16 to 256 printable characters: the gateway sends it, the micros' guard checks it");
        if (apiKeys) keys.put("MICROS_API_KEYS", "the keys clients send in X-Space-App-Key, comma-separated");
        for (Micro m : remote)
            for (micros.spacefile.App.EnvVar v : m.env())
                keys.put(Manifests.presetKey(m, v), "micro " + m.name() + "'s " + v.name() + (v.defaultValue() == null ? ", optional" : ""));
        return keys;
    }

    /** setup/secrets.env.example: every key, the Spacefile's defaults filled in, the rest to fill. */
    static String secretsExample(List<Micro> remote, boolean apiKeys) {
        StringBuilder s = new StringBuilder("# copy to secrets.env (git ignores it) and fill in; README.md has a command that makes the random ones\n");
        Map<String, String> defaults = new java.util.HashMap<>();
        for (Micro m : remote) for (micros.spacefile.App.EnvVar v : m.env()) if (v.defaultValue() != null) defaults.put(Manifests.presetKey(m, v), v.defaultValue());
        java.util.Set<String> optional = new java.util.HashSet<>();
        for (Micro m : remote) for (micros.spacefile.App.EnvVar v : m.env()) if (v.defaultValue() == null) optional.add(Manifests.presetKey(m, v));
        secretKeys(remote, apiKeys).forEach((k, what) -> s.append("# ").append(what).append('\n').append(optional.contains(k) ? "# " : "")
                .append(k).append('=').append(defaults.getOrDefault(k, "")).append('\n')); // an optional variable left out stays unset, as on Space
        return s.toString();
    }
}
