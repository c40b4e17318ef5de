package micros.export;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import micros.spacefile.YamlNode;

/**
 * Pod Security "restricted" (which holds "baseline"), as written in the Kubernetes docs' Pod
 * Security Standards and in pod-security-admission's checks (policy/check_*.go): the
 * violations of one pod spec, each naming its field. An empty list is a pod the admission
 * controller admits in a namespace labelled pod-security.kubernetes.io/enforce=restricted.
 */
final class PodSecurity {
    /** Restricted volume types: configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret. */
    static final Set<String> VOLUMES = Set.of("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret");
    static final Set<String> SECCOMP = Set.of("RuntimeDefault", "Localhost");
    static final Set<String> SELINUX_TYPES = Set.of("", "container_t", "container_init_t", "container_kvm_t", "container_engine_t");
    static final Set<String> SAFE_SYSCTLS = Set.of("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
            "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes");

    private PodSecurity() {}

    static List<String> restricted(YamlNode.Mapping spec) {
        List<String> v = new ArrayList<>();
        YamlNode.Mapping pod = mapping(spec.get("securityContext"));
        // baseline: host namespaces, HostProcess, hostPath volumes, sysctls, pod-level SELinux, AppArmor, seccomp
        for (String f : List.of("hostNetwork", "hostPID", "hostIPC"))
            if ("true".equals(str(spec, f))) v.add("spec." + f + " must be false or unset");
        if ("true".equals(str(pod, "windowsOptions", "hostProcess"))) v.add("spec.securityContext.windowsOptions.hostProcess");
        if (pod != null && pod.get("sysctls") instanceof YamlNode.Sequence s)
            for (YamlNode x : s.items()) if (!SAFE_SYSCTLS.contains(str((YamlNode.Mapping) x, "name"))) v.add("spec.securityContext.sysctls: " + str((YamlNode.Mapping) x, "name"));
        seLinux(pod, "spec.securityContext", v);
        appArmor(pod, "spec.securityContext", v);
        String podSeccomp = str(pod, "seccompProfile", "type");
        if (podSeccomp != null && !SECCOMP.contains(podSeccomp)) v.add("spec.securityContext.seccompProfile.type: " + podSeccomp);
        // restricted: volume types
        if (spec.get("volumes") instanceof YamlNode.Sequence vols)
            for (YamlNode x : vols.items()) {
                YamlNode.Mapping vol = (YamlNode.Mapping) x;
                boolean ok = false;
                for (YamlNode.Entry e : vol.entries()) {
                    String key = e.key().value();
                    if (key.equals("name")) continue;
                    if (VOLUMES.contains(key)) ok = true;
                    else v.add("spec.volumes[" + str(vol, "name") + "]." + key + ": not a restricted volume type");
                }
                if (!ok) v.add("spec.volumes[" + str(vol, "name") + "]: no allowed volume source");
            }
        boolean podNonRoot = "true".equals(str(pod, "runAsNonRoot"));
        if ("false".equals(str(pod, "runAsNonRoot"))) v.add("spec.securityContext.runAsNonRoot must be true");
        if ("0".equals(str(pod, "runAsUser"))) v.add("spec.securityContext.runAsUser must not be 0");
        boolean podSeccompOk = podSeccomp != null && SECCOMP.contains(podSeccomp);
        List<YamlNode.Mapping> containers = new ArrayList<>();
        for (String list : List.of("initContainers", "containers", "ephemeralContainers"))
            if (spec.get(list) instanceof YamlNode.Sequence s) for (YamlNode x : s.items()) containers.add((YamlNode.Mapping) x);
        if (containers.isEmpty()) v.add("spec.containers: none");
        for (YamlNode.Mapping c : containers) {
            String at = "container " + str(c, "name");
            YamlNode.Mapping sc = mapping(c.get("securityContext"));
            // baseline
            if ("true".equals(str(sc, "privileged"))) v.add(at + ": securityContext.privileged");
            if ("true".equals(str(sc, "windowsOptions", "hostProcess"))) v.add(at + ": windowsOptions.hostProcess");
            String proc = str(sc, "procMount");
            if (proc != null && !proc.equals("Default")) v.add(at + ": procMount " + proc);
            seLinux(sc, at + ": securityContext", v);
            appArmor(sc, at + ": securityContext", v);
            if (c.get("ports") instanceof YamlNode.Sequence ports)
                for (YamlNode p : ports.items()) {
                    String hostPort = str((YamlNode.Mapping) p, "hostPort");
                    if (hostPort != null && !hostPort.equals("0")) v.add(at + ": hostPort " + hostPort);
                }
            for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe"))
                for (String handler : List.of("httpGet", "tcpSocket")) {
                    String host = str(mapping(c.get(probe)), handler, "host");
                    if (host != null && !host.isEmpty()) v.add(at + ": " + probe + "." + handler + ".host");
                }
            // restricted
            if (!"false".equals(str(sc, "allowPrivilegeEscalation"))) v.add(at + ": securityContext.allowPrivilegeEscalation must be false");
            String nonRoot = str(sc, "runAsNonRoot");
            if ("false".equals(nonRoot) || nonRoot == null && !podNonRoot) v.add(at + ": runAsNonRoot must be true (here or on the pod)");
            if ("0".equals(str(sc, "runAsUser"))) v.add(at + ": runAsUser must not be 0");
            String seccomp = str(sc, "seccompProfile", "type");
            if (seccomp != null ? !SECCOMP.contains(seccomp) : !podSeccompOk) v.add(at + ": seccompProfile.type must be RuntimeDefault or Localhost (here or on the pod)");
            List<String> drop = strings(mapping(sc == null ? null : sc.get("capabilities")), "drop");
            if (!drop.contains("ALL")) v.add(at + ": capabilities.drop must include ALL");
            for (String add : strings(mapping(sc == null ? null : sc.get("capabilities")), "add"))
                if (!add.equals("NET_BIND_SERVICE")) v.add(at + ": capabilities.add " + add);
        }
        return v;
    }

    private static void seLinux(YamlNode.Mapping sc, String at, List<String> v) {
        YamlNode.Mapping se = mapping(sc == null ? null : sc.get("seLinuxOptions"));
        if (se == null) return;
        String type = str(se, "type");
        if (type != null && !SELINUX_TYPES.contains(type)) v.add(at + ".seLinuxOptions.type " + type);
        for (String f : List.of("user", "role")) if (str(se, f) != null && !str(se, f).isEmpty()) v.add(at + ".seLinuxOptions." + f);
    }

    private static void appArmor(YamlNode.Mapping sc, String at, List<String> v) {
        String type = str(sc, "appArmorProfile", "type");
        if (type != null && !type.equals("RuntimeDefault") && !type.equals("Localhost")) v.add(at + ".appArmorProfile.type " + type);
    }

    private static YamlNode.Mapping mapping(YamlNode n) {
        return n instanceof YamlNode.Mapping m ? m : null;
    }

    private static String str(YamlNode.Mapping m, String... path) {
        YamlNode n = m;
        for (String k : path) {
            if (!(n instanceof YamlNode.Mapping x)) return null;
            n = x.get(k);
        }
        return n instanceof YamlNode.Scalar s ? s.value() : null;
    }

    private static List<String> strings(YamlNode.Mapping m, String key) {
        List<String> out = new ArrayList<>();
        if (m != null && m.get(key) instanceof YamlNode.Sequence s)
            for (YamlNode x : s.items()) if (x instanceof YamlNode.Scalar sc) out.add(sc.value());
        return out;
    }
}
