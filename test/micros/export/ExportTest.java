package micros.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import micros.Main;
import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.spacefile.SpacefileReader;
import micros.spacefile.YamlNode;
import micros.spacefile.YamlParser;
import micros.support.Apps;
import micros.support.Http;
import micros.support.RemoteMicros;

/**
 * `micros export knative` without a cluster: every YAML document parsed back and checked, every
 * object's kind and name unique, every pod admitted by Pod Security "restricted", every secret
 * referenced and never inline, every kustomization's files present and every image mapped,
 * every Dockerfile COPY naming a file that exists and building as Space built, the same bytes
 * twice, golden files for the sample app; and the exported folders run for real: the gateway in
 * front of micros started by their Dockerfile's command, behind their guard, as PID 1.
 */
class ExportTest {
    static final Path JAR = Path.of("build/micros.jar").toAbsolutePath();
    static final Path GOLDEN = Path.of("test/fixtures/export-golden/hello").toAbsolutePath();
    static final Set<String> KINDS = Set.of("serving.knative.dev/v1 Service", "v1 PersistentVolumeClaim", "apps/v1 Deployment", "v1 Service",
            "networking.k8s.io/v1 Ingress", "gateway.networking.k8s.io/v1 HTTPRoute", "kustomize.config.k8s.io/v1beta1 Kustomization",
            "networking.k8s.io/v1 NetworkPolicy", "v1 Pod");
    static final List<String> APPS = List.of("hello", "export/back", "export/front", "export/nuxt", "export/go", "engines", "routing", "auth");

    @TempDir
    Path dir;

    record Run(int exit, String out) {}

    static Run export(Path app, Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("export", "knative", app.toString(), "--out", out.toString(), "--jar", JAR.toString()));
        args.addAll(List.of(more));
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(b, true, StandardCharsets.UTF_8);
        int exit = Main.run(args.toArray(String[]::new), ps, ps);
        return new Run(exit, b.toString(StandardCharsets.UTF_8));
    }

    static Path app(String name) {
        return name.equals("hello") || name.equals("deps") ? Path.of("samples/" + name).toAbsolutePath() : Apps.FIXTURES.resolve(name);
    }

    /** Every YAML document the export wrote (not the apps' own files), with the file it is in. */
    record Doc(String file, YamlNode.Mapping node) {}

    static List<Doc> documents(Path out) throws Exception {
        List<Doc> docs = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(out)) {
            for (Path p : (Iterable<Path>) walk.filter(p -> p.toString().endsWith(".yaml") && !p.toString().contains("/app/")
                    && !p.toString().contains("/build/")).sorted()::iterator)
                for (String doc : Files.readString(p).split("\n---\n")) docs.add(new Doc(out.relativize(p).toString(), (YamlNode.Mapping) YamlParser.parse(doc)));
        }
        return docs;
    }

    @ParameterizedTest
    @ValueSource(strings = {"hello", "export/back", "export/front", "export/nuxt", "export/go", "engines", "routing", "auth"})
    void everyManifestParsesBackWithSpacesLimitsAndNoInlineSecret(String name) throws Exception {
        Path out = dir.resolve("out");
        Run r = export(app(name), out, "--namespace", "apps");
        assertEquals(0, r.exit(), r.out());
        App app = SpacefileReader.read(app(name).resolve("Spacefile")).app();
        String readme = Files.readString(out.resolve("README.md"));
        String secrets = Files.readString(out.resolve("setup/secrets.env.example"));
        List<Micro> process = app.micros().stream().filter(m -> !m.engine().staticLike()).toList();
        int knative = 0, deployments = 0;
        for (Doc doc : documents(out)) {
            String file = doc.file();
            YamlNode.Mapping d = doc.node();
            String text = Files.readString(out.resolve(file));
            for (String defaultValue : List.of("deta is cool")) assertFalse(text.contains(defaultValue), file + " has a preset value inline");
            String kind = str(d, "apiVersion") + " " + str(d, "kind");
            assertTrue(KINDS.contains(kind), file + ": " + kind);
            if (!kind.equals("kustomize.config.k8s.io/v1beta1 Kustomization")) assertEquals("apps", str(d, "metadata", "namespace"), file);
            if (kind.equals("serving.knative.dev/v1 Service")) {
                knative++;
                checkKnative(d, file);
            }
            if (kind.equals("apps/v1 Deployment")) {
                deployments++;
                YamlNode.Mapping c = first(d, "spec", "template", "spec", "containers");
                List<String> args = strings(c.get("args"));
                for (Micro m : process)
                    assertTrue(args.contains(m.name() + "=http://" + Names.join(Manifests.appName(app), Names.dns(m.name())) + ".apps.svc.cluster.local"),
                            "the gateway's --micro for " + m.name() + ": " + args);
                assertEquals(2 * process.size(), args.stream().filter(a -> a.equals("--micro")).count() * 2);
                assertEquals("/app/.micros", str(item(node(c, "volumeMounts"), 0), "mountPath"), "the data volume");
                assertEquals("true", str(c, "securityContext", "readOnlyRootFilesystem"));
                String gateway = Names.join(Manifests.appName(app), "gateway");
                int data = args.indexOf("--data-name");
                assertEquals(gateway + ".apps.svc.cluster.local", args.get(data + 1), "Base and Drive's certificate names the gateway's Service: " + args);
                assertEquals("4443", args.get(args.indexOf("--data-port") + 1), args.toString());
                assertEquals("0.0.0.0", args.get(args.indexOf("--data-host") + 1), args.toString());
                assertEquals("DETA_PROJECT_KEY", str(env(c, "MICROS_PROJECT_KEY"), "valueFrom", "secretKeyRef", "key"), "the gateway's Base takes the micros' key");
                assertEquals("MICROS_GATEWAY_KEY", str(env(c, "MICROS_GATEWAY_KEY"), "valueFrom", "secretKeyRef", "key"), "the key the micros' guard wants");
                assertEquals("/app/.micros/ca", str(env(c, "MICROS_CA_DIR"), "value"), "the CA on the data volume");
                for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe"))
                    assertEquals("/__micros/health", str(c, probe, "httpGet", "path"), probe + " over HTTP, at the path the gateway answers anyone");
                assertEquals("Recreate", str(d, "spec", "strategy", "type"), "one writer of the data volume at a time");
                assertEquals("1", str(d, "spec", "replicas"));
            }
            if (kind.equals("v1 Service")) {
                List<String> ports = new ArrayList<>();
                for (YamlNode p : ((YamlNode.Sequence) node(d, "spec", "ports")).items()) ports.add(str(p, "port") + "->" + str(p, "targetPort"));
                assertEquals(List.of("80->http", "4443->data"), ports, file);
            }
            for (YamlNode.Mapping env : envEntries(d)) {
                YamlNode from = env.get("valueFrom");
                String var = str(env, "name");
                if (from == null) {
                    assertTrue(var.startsWith("DETA_SPACE_APP") || INLINE.contains(var), file + ": " + var + " is written inline");
                    continue;
                }
                String key = str((YamlNode.Mapping) from, "secretKeyRef", "key");
                assertEquals(Names.join(Manifests.appName(app), "secrets"), str((YamlNode.Mapping) from, "secretKeyRef", "name"), file);
                assertTrue(secrets.contains("\n" + key + "=") || secrets.contains("\n# " + key + "="), "setup/secrets.env.example has " + key + ":\n" + secrets);
            }
        }
        assertEquals(process.size(), knative, "one Knative Service per process micro");
        assertEquals(1, deployments);
        checkDockerfiles(out, process);
        assertTrue(readme.contains("node-level setting"), "README says what does not carry over");
        assertTrue(readme.contains("**Knative Serving 1.13 or later.**"), "README says the Knative it needs");
        assertTrue(readme.contains("kubectl apply -k setup") && readme.contains("kubectl apply -k .\n"), readme);
        assertTrue(readme.contains("cat /app/.micros/ca/micros-ca.pem > ca/micros-ca.pem"), "README says where the gateway's CA is: " + readme);
        if (!process.isEmpty()) assertTrue(readme.contains("kubectl run door-probe"), "README has a probe of the door a user can repeat");
        assertTrue(readme.contains("data export /app /tmp/backup.zip") && readme.contains("data import /tmp/backup.zip /app --replace"), "backup and restore");
        assertTrue(readme.contains("Python 3.8 and 3.9 and Node 16 no longer get security fixes") && readme.contains("--base-image python3.9="),
                "README says the base images are past their end of life, and how to choose newer ones");
        assertTrue(Files.readString(out.resolve(".gitignore")).contains("setup/secrets.env\n"), "the filled-in secrets are never committed");
    }

    /** Not secrets: where Base and Drive are, and where the CA is. */
    static final Set<String> INLINE = Set.of("DETA_BASE_HOST", "DETA_DRIVE_HOST", "MICROS_CA_DIR", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE",
            "NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE");

    private static YamlNode.Mapping env(YamlNode.Mapping container, String name) {
        for (YamlNode e : ((YamlNode.Sequence) container.get("env")).items())
            if (name.equals(str(e, "name"))) return (YamlNode.Mapping) e;
        throw new AssertionError("no " + name + " in " + container);
    }

    private static void checkKnative(YamlNode.Mapping d, String file) {
        assertEquals("cluster-local", str(d, "metadata", "labels", "networking.knative.dev/visibility"), file);
        Map<String, String> scaling = Map.of("min-scale", "0", "max-scale", "10", "target", "1", "target-utilization-percentage", "100",
                "scale-to-zero-pod-retention-period", "5m");
        scaling.forEach((k, v) -> assertEquals(v, str(d, "spec", "template", "metadata", "annotations", "autoscaling.knative.dev/" + k), file + ": " + k));
        assertEquals("micro", str(d, "spec", "template", "metadata", "labels", "app.kubernetes.io/component"), "the NetworkPolicy selects the micros' pods by it");
        assertEquals("20", str(d, "spec", "template", "spec", "timeoutSeconds"), file);
        assertEquals("false", str(d, "spec", "template", "spec", "automountServiceAccountToken"), file);
        YamlNode.Mapping c = first(d, "spec", "template", "spec", "containers");
        assertEquals(null, c.get("readinessProbe"), "Knative's own probe dials the port: an HTTP probe would have no key");
        assertEquals("512Mi", str(c, "resources", "limits", "memory"), file);
        assertEquals("true", str(c, "securityContext", "readOnlyRootFilesystem"), file);
        assertEquals("/tmp", str(item(node(c, "volumeMounts"), 0), "mountPath"), file);
        YamlNode.Mapping tmp = first(d, "spec", "template", "spec", "volumes");
        assertEquals("512Mi", str(tmp, "emptyDir", "sizeLimit"), file);
        List<String> names = new ArrayList<>();
        for (YamlNode e : ((YamlNode.Sequence) c.get("env")).items()) names.add(str((YamlNode.Mapping) e, "name"));
        assertTrue(names.containsAll(List.of("DETA_PROJECT_KEY", "DETA_API_KEY", "DETA_SPACE_APP_HOSTNAME", "DETA_SPACE_APP_MICRO_NAME", "MICROS_GATEWAY_KEY")),
                names.toString());
        // Base and Drive at the gateway's Service, its CA from the ConfigMap, mounted read-only
        String app = str(d, "metadata", "labels", "app.kubernetes.io/part-of");
        assertEquals(Names.join(app, "gateway") + ".apps.svc.cluster.local:4443", str(env(c, "DETA_BASE_HOST"), "value"), file);
        assertEquals(str(env(c, "DETA_BASE_HOST"), "value"), str(env(c, "DETA_DRIVE_HOST"), "value"), file);
        assertEquals("/etc/micros-ca/ca-bundle.pem", str(env(c, "SSL_CERT_FILE"), "value"), file);
        assertEquals("/etc/micros-ca/ca-bundle.pem", str(env(c, "REQUESTS_CA_BUNDLE"), "value"), file);
        assertEquals("/etc/micros-ca/micros-ca.pem", str(env(c, "NODE_EXTRA_CA_CERTS"), "value"), file);
        YamlNode.Mapping caMount = item(node(c, "volumeMounts"), 1);
        assertEquals("/etc/micros-ca", str(caMount, "mountPath"), file);
        assertEquals("true", str(caMount, "readOnly"), file);
        YamlNode.Mapping caVolume = item(node(d, "spec", "template", "spec", "volumes"), 1);
        assertEquals(str(caMount, "name"), str(caVolume, "name"), file);
        assertEquals(Names.join(app, "ca"), str(caVolume, "configMap", "name"), file);
    }

    /**
     * COPY sources exist in the build context; each image starts behind the guard, in the exec
     * form; no build argument (ARG) carries anything, and the history holds no secret.
     */
    private static void checkDockerfiles(Path out, List<Micro> process) throws IOException {
        List<Path> dockerfiles = new ArrayList<>();
        for (Micro m : process) dockerfiles.add(out.resolve("micros").resolve(m.name()).resolve("Dockerfile"));
        dockerfiles.add(out.resolve("gateway/Dockerfile"));
        for (Path f : dockerfiles) {
            assertTrue(Files.isRegularFile(f), f.toString());
            List<String> lines = Files.readAllLines(f);
            assertEquals("# syntax=docker/dockerfile:1", lines.get(0), "BuildKit's syntax: RUN --mount for the secrets");
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("FROM ")), f.toString());
            assertFalse(lines.stream().anyMatch(l -> l.startsWith("ARG ")), f + ": secrets come as build secrets, never as ARG");
            for (String source : copySources(lines)) assertTrue(Files.exists(f.getParent().resolve(source)), f + ": COPY " + source + " names nothing");
            String cmd = lines.stream().filter(l -> l.startsWith("CMD ") || l.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
            assertTrue(cmd.contains("[\""), f + ": exec form: " + cmd);
            if (!f.getParent().getFileName().toString().equals("gateway"))
                assertTrue(cmd.startsWith("CMD [\"perl\", \"/opt/micros/guard.pl\", "), f + ": the guard is the container's first process: " + cmd);
        }
        for (Micro m : process)
            assertEquals(Files.readString(Path.of("src/micros/export/guard.pl")), Files.readString(out.resolve("micros").resolve(m.name()).resolve("guard.pl")));
    }

    /** The context paths COPY lines take (not those --from a stage), in either form. */
    static List<String> copySources(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            if (!l.startsWith("COPY ") || l.startsWith("COPY --from=")) continue;
            String rest = l.substring(5);
            List<String> words = new ArrayList<>();
            if (rest.startsWith("[")) for (Object o : (List<?>) micros.util.Json.parse(rest)) words.add((String) o);
            else words.addAll(List.of(rest.split(" ")));
            out.addAll(words.subList(0, words.size() - 1));
        }
        return out;
    }

    /**
     * Every object the export makes has a kind and name of its own (Knative's Service brings a
     * Kubernetes Service of its name, the generators a Secret and a ConfigMap), and every pod
     * spec (the micros', the gateway's, the data pod's) meets Pod Security "restricted".
     */
    @Test
    void everyObjectHasAKindAndNameOfItsOwnAndEveryPodMeetsPodSecurityRestricted() throws Exception {
        for (String name : APPS) {
            Path out = dir.resolve(name.replace('/', '-'));
            Run r = export(app(name), out);
            assertEquals(0, r.exit(), r.out());
            Set<String> objects = new HashSet<>();
            int pods = 0;
            for (Doc doc : documents(out)) {
                YamlNode.Mapping d = doc.node();
                String kind = str(d, "kind"), group = str(d, "apiVersion").replaceAll("/?v1(beta1)?$", "");
                String ns = str(d, "metadata", "namespace");
                if (kind.equals("Kustomization")) {
                    for (String gen : List.of("secretGenerator", "configMapGenerator"))
                        if (d.get(gen) instanceof YamlNode.Sequence s)
                            for (YamlNode g : s.items())
                                assertTrue(objects.add((gen.startsWith("secret") ? "Secret" : "ConfigMap") + " " + str(g, "namespace") + "/" + str(g, "name")),
                                        name + ": " + doc.file() + " generates a second " + str(g, "name"));
                    continue;
                }
                assertTrue(objects.add(group + " " + kind + " " + ns + "/" + str(d, "metadata", "name")), name + ": a second " + kind + " " + str(d, "metadata", "name"));
                if (kind.equals("Service") && group.equals("serving.knative.dev"))
                    assertTrue(objects.add(" Service " + ns + "/" + str(d, "metadata", "name")), name + ": Knative's Service " + str(d, "metadata", "name") + " takes a Service's name");
                YamlNode spec = kind.equals("Pod") ? node(d, "spec") : node(d, "spec", "template", "spec");
                if (!(spec instanceof YamlNode.Mapping podSpec)) continue;
                pods++;
                List<String> violations = PodSecurity.restricted(podSpec);
                assertEquals(List.of(), violations, name + ": " + doc.file() + " " + kind + " " + str(d, "metadata", "name"));
                assertEquals("false", str(podSpec, "automountServiceAccountToken"), doc.file());
            }
            long micros = SpacefileReader.read(app(name).resolve("Spacefile")).app().micros().stream().filter(m -> !m.engine().staticLike()).count();
            assertEquals(micros + 2, pods, name + ": the micros', the gateway's and the data pod's specs were all checked");
        }
        // the check itself: a pod without seccomp, with a root user, escalation and a hostPath is refused on each count
        YamlNode.Mapping bad = (YamlNode.Mapping) YamlParser.parse("""
                containers:
                  - name: "x"
                    securityContext:
                      runAsUser: 0
                      allowPrivilegeEscalation: true
                      capabilities:
                        add: ["NET_ADMIN"]
                volumes:
                  - name: "h"
                    hostPath:
                      path: "/"
                """);
        String found = String.join("\n", PodSecurity.restricted(bad));
        for (String rule : List.of("hostPath", "allowPrivilegeEscalation", "runAsNonRoot", "runAsUser", "seccompProfile", "drop must include ALL", "NET_ADMIN"))
            assertTrue(found.contains(rule), rule + " in:\n" + found);
    }

    /**
     * The kustomizations hold together: every resource they name exists, every container's image
     * is one that an images: entry of the same tree maps to the registry and tag, and the
     * Secret and ConfigMap the manifests name are the ones the generators make.
     */
    @Test
    void theKustomizationsNameFilesThatExistAndMapEveryImage() throws Exception {
        Path out = dir.resolve("back");
        assertEquals(0, export(app("export/back"), out, "--image-prefix", "registry.example.com:5000/team", "--image-tag", "2024.1", "--namespace", "apps").exit());
        for (String k : List.of("kustomization.yaml", "setup/kustomization.yaml", "gateway/kustomization.yaml", "data/kustomization.yaml")) {
            Map<String, String> images = new TreeMap<>();
            Set<String> used = new HashSet<>();
            tree(out.resolve(k).getParent(), images, used);
            for (String image : used) assertTrue(images.containsKey(image), k + ": no images: entry for " + image + " " + images);
            for (String ref : images.values()) assertTrue(ref.startsWith("registry.example.com:5000/team/back-") && ref.endsWith(":2024.1"), ref);
        }
        String all = Files.readString(out.resolve("kustomization.yaml"));
        assertTrue(all.contains("name: \"back-ca\"") && all.contains("\"ca/micros-ca.pem\""), all);
        assertTrue(Files.readString(out.resolve("setup/kustomization.yaml")).contains("name: \"back-secrets\""));
        String readme = Files.readString(out.resolve("README.md"));
        assertTrue(readme.contains("docker build -t registry.example.com:5000/team/back-py39:2024.1 micros/py39"), readme);
    }

    /** Walks a kustomization and the ones it names: images: name -> newName:newTag, and every image a container names. */
    private static void tree(Path k, Map<String, String> images, Set<String> used) throws Exception {
        YamlNode.Mapping kust = (YamlNode.Mapping) YamlParser.parse(Files.readString(k.resolve("kustomization.yaml")));
        if (kust.get("images") instanceof YamlNode.Sequence s)
            for (YamlNode i : s.items()) images.put(str(i, "name"), str(i, "newName") + ":" + str(i, "newTag"));
        for (String res : strings(kust.get("resources"))) {
            Path p = k.resolve(res).normalize();
            assertTrue(Files.exists(p), k + ": resource " + res + " is missing");
            if (Files.isDirectory(p)) {
                assertTrue(Files.isRegularFile(p.resolve("kustomization.yaml")), p + " has no kustomization.yaml");
                tree(p, images, used);
                continue;
            }
            for (String doc : Files.readString(p).split("\n---\n")) {
                YamlNode.Mapping d = (YamlNode.Mapping) YamlParser.parse(doc);
                YamlNode spec = "Pod".equals(str(d, "kind")) ? node(d, "spec") : node(d, "spec", "template", "spec");
                if (spec instanceof YamlNode.Mapping m && m.get("containers") instanceof YamlNode.Sequence cs)
                    for (YamlNode c : cs.items()) used.add(str(c, "image"));
            }
        }
    }

    /** api_v2 and api-v2 would be one Service, one image, one build stage: refused in one sentence, nothing written; the options are checked. */
    @Test
    void namesThatWouldBeOneKubernetesNameAndBadOptionsAreRefused() throws Exception {
        Path app = Files.createDirectories(dir.resolve("clash"));
        Files.writeString(app.resolve("main.py"), "app = None\n");
        Files.writeString(app.resolve("Spacefile"), """
                v: 0
                app_name: clash
                micros:
                  - name: api_v2
                    src: .
                    engine: python3.9
                    primary: true
                  - name: api-v2
                    src: .
                    engine: python3.9
                """);
        assertEquals(0, micros.support.Jar.run(app, "validate").exit(), "a valid Spacefile");
        Run r = export(app, dir.resolve("out"));
        assertEquals(2, r.exit(), r.out());
        assertTrue(r.out().contains("micros api_v2 and api-v2 would both be named clash-api-v2 in Kubernetes"), r.out());
        assertFalse(Files.exists(dir.resolve("out")), "nothing is written");
        Files.writeString(app.resolve("Spacefile"), Files.readString(app.resolve("Spacefile")).replace("api-v2", "gateway"));
        Run gateway = export(app, dir.resolve("out"));
        assertEquals(2, gateway.exit(), gateway.out());
        assertTrue(gateway.out().contains("micro gateway would be named clash-gateway in Kubernetes, the name of the app's gateway"), gateway.out());
        for (String[] bad : List.of(new String[] {"--image-prefix", "Registry.io/Team"}, new String[] {"--image-prefix", "registry.io/a b"},
                new String[] {"--image-prefix", "registry.io//x"}, new String[] {"--image-tag", "-x"}, new String[] {"--namespace", "Apps"},
                new String[] {"--ingress-namespace", "kourier_system"}, new String[] {"--base-image", "python3.10=python:3.10"},
                new String[] {"--base-image", "nodejs16=Node:22"})) {
            Run refused = export(app("hello"), dir.resolve("out"), bad);
            assertEquals(2, refused.exit(), String.join(" ", bad) + ": " + refused.out());
            assertTrue(refused.out().contains(bad[0] + " "), refused.out());
            assertFalse(refused.out().contains("Exception"), refused.out());
        }
        for (String good : List.of("registry.io/team", "localhost:5000", "registry.example.com:5000/a/b-c/", "team"))
            assertEquals(0, export(app("hello"), dir.resolve("ok-" + good.hashCode()), "--image-prefix", good).exit(), good);
    }

    @Test
    void theSameAppGivesTheSameBytesAndAnExportReplacesItself() throws Exception {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        assertEquals(0, export(app("export/back"), a).exit());
        assertEquals(0, export(app("export/back"), b).exit());
        assertEquals(tree(a), tree(b));
        Run again = export(app("export/back"), a);
        assertEquals(0, again.exit(), again.out());
        assertEquals(tree(b), tree(a));
    }

    /**
     * Images build as Space built: the dependency files and their install before the code,
     * files a requirements.txt or package.json names in the folder with them, commands in a
     * build stage with their toolchain (Go's pattern: go build, include main, run ./main),
     * the framework's build, `include` selecting from the built folder, private sources as
     * build secrets; a program no image is known to have is said, not left to fail late.
     */
    @Test
    void imagesBuildAsSpaceBuilt() throws Exception {
        Path out = dir.resolve("out");
        // what a developer's folder holds after a local run, made here rather than committed: installed modules, byte code
        Path back = Apps.copy("export/back", dir.resolve("src"));
        Files.createDirectories(back.resolve("node/node_modules/x"));
        Files.writeString(back.resolve("node/node_modules/x/index.js"), "module.exports = 1;\n");
        Files.createDirectories(back.resolve("py39/__pycache__"));
        Files.write(back.resolve("py39/__pycache__/main.cpython-39.pyc"), new byte[] {0x61, 0x0d, 0x0d, 0x0a});
        Files.writeString(back.resolve("node/.npmrc"), "//registry.example.com/:_authToken=npm_secret_token_0123456789\n");
        Run r = export(back, out);
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("warning: left node/.npmrc out of the export: it holds a package registry's credential"), r.out());
        assertFalse(Files.exists(out.resolve("micros/node/app/.npmrc")), "a registry's token never reaches an image");
        assertTrue(Files.exists(out.resolve("micros/py38/app/extra.py")), "the upload: include applies to the built folder");
        String py38 = Files.readString(out.resolve("micros/py38/Dockerfile"));
        assertTrue(py38.contains("FROM python:3.8-slim AS build\n") && py38.contains("COPY --from=build [\"/src/app.py\", \"/app/app.py\"]\n"), py38);
        assertFalse(py38.contains("/src/extra.py") || py38.contains("COPY --from=build /src/ /app/"), "only what include names: " + py38);
        assertTrue(Files.exists(out.resolve("micros/py39/app/main.py")));
        assertFalse(Files.exists(out.resolve("micros/py39/app/notes.txt")), ".spaceignore");
        assertFalse(Files.exists(out.resolve("micros/py39/app/__pycache__")), "the default ignore list");
        assertFalse(Files.exists(out.resolve("micros/node/app/node_modules")), "dependencies are installed in the image");
        String py = Files.readString(out.resolve("micros/py39/Dockerfile"));
        assertTrue(order(py, "COPY [\"app/requirements.txt\", \"requirements.txt\"]", "/opt/venv/bin/pip install -r requirements.txt", "COPY app/ ./"),
                "the dependencies, then the code: " + py);
        for (String secret : Dockerfiles.PIP_SECRETS)
            assertTrue(py.contains("--mount=type=secret,id=" + secret + " ") && py.contains("if [ -s /run/secrets/$s ]"), "a private index as a build secret: " + py);
        assertTrue(py.contains("FROM python:3.9-slim\n"), py);
        assertEquals(Files.readString(Path.of("src/micros/runtime/python_launcher.py")), Files.readString(out.resolve("micros/py39/python_launcher.py")));
        String node = Files.readString(out.resolve("micros/node/Dockerfile"));
        assertTrue(order(node, "COPY [\"app/package.json\", \"package.json\"]", "COPY [\"app/package-lock.json\", \"package-lock.json\"]",
                "npm ci --no-audit --no-fund", "COPY app/ ./"), node);
        assertTrue(node.contains("--mount=type=secret,id=NPM_CONFIG_REGISTRY ") && node.contains("--mount=type=secret,id=npmrc,target=/root/.npmrc"), node);
        assertTrue(Files.readString(out.resolve("micros/kit/Dockerfile")).contains("npm install --no-audit --no-fund"), "no lockfile: npm install");
        String kit = Files.readString(out.resolve("micros/kit/Dockerfile"));
        assertTrue(order(kit, "FROM node:16-slim AS build", "RUN [ -e .svelte-kit ] || npm run build", "FROM node:16-slim\n", "COPY --from=build /src/ /app/"), kit);
        String custom = Files.readString(out.resolve("micros/custom/Dockerfile"));
        assertTrue(order(custom, "FROM debian:12-slim AS build", "RUN chmod +x run.sh\n", "FROM debian:12-slim\n"), "the Spacefile's commands run in the build: " + custom);

        // Space's Go pattern, and a toolchain nobody named
        Path go = dir.resolve("go");
        Run goRun = export(app("export/go"), go);
        assertEquals(0, goRun.exit(), goRun.out());
        String goFile = Files.readString(go.resolve("micros/api/Dockerfile"));
        assertTrue(order(goFile, "FROM golang:1-bookworm AS build", "COPY app/ ./", "RUN go build main.go", "FROM debian:12-slim\n",
                "COPY --from=build [\"/src/main\", \"/app/main\"]", "CMD [\"perl\", \"/opt/micros/guard.pl\", \"/bin/sh\", \"-c\", \"./main\"]"), goFile);
        assertTrue(Files.exists(go.resolve("micros/api/app/main.go")), "the sources go to the build stage");
        String tool = Files.readString(go.resolve("micros/tool/Dockerfile"));
        assertTrue(tool.contains("# note: micro tool: its commands run cargo, which debian:12-slim may not have"), tool);
        assertTrue(goRun.out().contains("warning: micro tool: its commands run cargo"), goRun.out());
        assertTrue(Files.readString(go.resolve("README.md")).contains("micro tool: its commands run cargo"), "the README says it too");

        // requirements.txt and package.json naming files in the folder (samples/deps): those files come with them, before the install
        Path deps = dir.resolve("deps");
        assertEquals(0, export(app("deps"), deps).exit());
        String depsPy = Files.readString(deps.resolve("micros/py/Dockerfile"));
        assertTrue(order(depsPy, "COPY [\"app/vendor/tiny_greeting-1.0-py3-none-any.whl\", \"vendor/tiny_greeting-1.0-py3-none-any.whl\"]",
                "pip install -r requirements.txt", "COPY app/ ./"), depsPy);
        String depsNode = Files.readString(deps.resolve("micros/node/Dockerfile"));
        assertTrue(order(depsNode, "COPY [\"app/vendor/greeting-words-1.0.0.tgz\", \"vendor/greeting-words-1.0.0.tgz\"]", "npm ci", "COPY app/ ./"), depsNode);

        // frontends: next builds in its image; static ones in the gateway's, dependencies first
        Path front = dir.resolve("front");
        assertEquals(0, export(app("export/front"), front).exit());
        String next = Files.readString(front.resolve("micros/next/Dockerfile"));
        assertTrue(order(next, "COPY app/ ./", "RUN [ -e .next ] || npm run build", "COPY --from=build /src/ /app/"), "a next micro's image has its .next: " + next);
        String gw = Files.readString(front.resolve("gateway/Dockerfile"));
        assertTrue(order(gw, "COPY [\"build/react/package.json\", \"package.json\"]", "npm ci", "COPY [\"build/react/\", \"./\"]", "RUN [ -e build ] || npm run build"), gw);
        assertTrue(gw.contains("COPY --from=build-react [\"/src/build/\", \"/app/react/build/\"]"), "the missing folder to serve is built: " + gw);
        assertTrue(Files.exists(front.resolve("gateway/app/vue/dist/index.html")), "a present folder is copied as it is");
        assertTrue(Files.exists(front.resolve("gateway/app/Spacefile")));

        // newer base images, on request
        Path newer = dir.resolve("newer");
        assertEquals(0, export(app("export/back"), newer, "--base-image", "python3.9=python:3.12-slim", "--base-image", "nodejs16=node:22-slim").exit());
        assertTrue(Files.readString(newer.resolve("micros/py39/Dockerfile")).contains("FROM python:3.12-slim\n"));
        assertTrue(Files.readString(newer.resolve("micros/node/Dockerfile")).contains("FROM node:22-slim\n"));
        assertTrue(Files.readString(newer.resolve("micros/py38/Dockerfile")).contains("FROM python:3.8-slim"), "the others stay");
        assertTrue(Files.readString(newer.resolve("README.md")).contains("| `python3.9` | `python:3.12-slim` (default `python:3.9-slim`) |"));
    }

    /** Whether the texts come in this order in s. */
    private static boolean order(String s, String... texts) {
        int at = 0;
        for (String t : texts) {
            int i = s.indexOf(t, at);
            if (i < 0) return false;
            at = i + t.length();
        }
        return true;
    }

    @Test
    void anInvalidSpacefileOrAForeignFolderIsRefused() throws Exception {
        Path bad = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(bad.resolve("Spacefile"), "v: 0\nmicros:\n  - name: x\n    src: .\n    engine: nope\n");
        Run r = export(bad, dir.resolve("out"));
        assertEquals(2, r.exit(), r.out());
        assertFalse(Files.exists(dir.resolve("out")), "nothing is written for an invalid Spacefile");
        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        Run f = export(app("hello"), foreign);
        assertEquals(2, f.exit(), f.out());
        assertTrue(f.out().contains("is not empty and was not written by micros export"), f.out());
        assertEquals("mine", Files.readString(foreign.resolve("notes.txt")));
        Run noOut = export(app("hello"), dir.resolve("x"));
        assertEquals(0, noOut.exit());
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        assertEquals(2, Main.run(new String[] {"export", "helm"}, new PrintStream(b), new PrintStream(b)));
    }

    /**
     * The exported folders run: each micro started by its Dockerfile's command (the guard, then
     * the launcher) from its folder, the gateway on gateway/app with the Secret's key. Requests
     * through the gateway reach the micros; a request straight at a micro, without the key or
     * with a wrong one, is answered 403 by its guard.
     */
    @Test
    void theGatewaysFilesServeTheAppInFrontOfTheExportedMicros() throws Exception {
        Apps.require("node", "python3");
        Path out = dir.resolve("hello");
        assertEquals(0, export(app("hello"), out).exit());
        App hello = SpacefileReader.read(app("hello").resolve("Spacefile")).app();
        try (RemoteMicros remote = RemoteMicros.fromExport(hello, out, Map.of())) {
            List<String> args = new ArrayList<>(List.of("gateway", out.resolve("gateway/app").toString(), "--port", "0"));
            remote.remotes().forEach((name, r) -> args.addAll(List.of("--micro", name + "=http://127.0.0.1:" + r.port())));
            try (micros.support.Jar.Proc p = micros.support.Jar.start(dir, Map.of("MICROS_OWNER_TOKEN", Apps.OWNER, "MICROS_GATEWAY_KEY", remote.key),
                    args.toArray(String[]::new))) {
                p.await("Press Ctrl-C to stop.", 20);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("listening on http://127.0.0.1:(\\d+)").matcher(p.output());
                assertTrue(m.find(), p.output());
                int port = Integer.parseInt(m.group(1));
                assertTrue(Http.get(port, "/").text().contains("<"), "the static primary, from the image's files");
                assertEquals(200, Http.get(port, "/api/health").status(), "a public route: " + remote.log("api"));
                assertEquals(401, Http.get(port, "/greet/").status(), "private by default");
                Http.Response greet = Http.send(port, "GET /greet/?name=K8s HTTP/1.1\r\nHost: x\r\nCookie: space_token="
                        + Apps.OWNER + "\r\nConnection: close\r\n\r\n", null);
                assertEquals("Hello, K8s! (from greet)\n", greet.text(), remote.log("greet"));
                for (var micro : remote.remotes().values()) {
                    assertEquals(403, Http.get(micro.port(), "/health").status(), "straight at the micro: its guard refuses");
                    assertEquals(403, Http.send(micro.port(), "GET /health HTTP/1.1\r\nHost: x\r\nX-Micros-Gateway-Key: " + remote.key.substring(1)
                            + "x\r\nConnection: close\r\n\r\n", null).status(), "a wrong key");
                }
            }
        }
    }

    /**
     * A micro stops on SIGTERM as the first process of its container: each exported micro's
     * command runs as PID 1 of a PID namespace of its own (unshare --pid --fork --mount-proc, as a
     * container runs it); SIGTERM ends it with 143 (the micro ended by that signal, passed on),
     * where `sh -c` as PID 1 ignored it until the grace period's SIGKILL.
     */
    @Test
    void everyExportedMicroStopsOnSigtermAsPidOne() throws Exception {
        Apps.require("node", "python3", "perl", "unshare");
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "PID namespaces need root");
        Path out = dir.resolve("hello");
        assertEquals(0, export(app("hello"), out).exit());
        for (String micro : List.of("greet", "api")) {
            Path folder = out.resolve("micros").resolve(micro);
            String cmd = Files.readAllLines(folder.resolve("Dockerfile")).stream().filter(l -> l.startsWith("CMD ")).findFirst().orElseThrow();
            List<String> argv = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--kill-child", "--mount-proc"));
            for (Object a : (List<?>) micros.util.Json.parse(cmd.substring(4))) argv.add(((String) a).replace("/opt/micros/", folder + "/"));
            int port;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                port = s.getLocalPort();
            }
            ProcessBuilder pb = new ProcessBuilder(argv).directory(folder.resolve("app").toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve(micro + ".log").toFile());
            pb.environment().put("PORT", Integer.toString(port));
            pb.environment().put("MICROS_GATEWAY_KEY", "a-key-of-the-secret-0123456789");
            pb.environment().put("HOME", "/tmp");
            Process p = pb.start();
            try {
                awaitPort(port, p, dir.resolve(micro + ".log"));
                long init = p.toHandle().children().findFirst().orElseThrow().pid();
                String pidOne = Files.readString(Path.of("/proc/" + init + "/cmdline")).replace('\0', ' ');
                new ProcessBuilder("kill", "-TERM", Long.toString(init)).start().waitFor();
                assertTrue(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), micro + ": PID 1 (" + pidOne + ") ignored SIGTERM");
                assertEquals(143, p.exitValue(), micro + ": ended by SIGTERM, passed on to it: " + Files.readString(dir.resolve(micro + ".log")));
                assertTrue(pidOne.startsWith("perl "), "PID 1 of the namespace is the guard: " + pidOne);
            } finally {
                p.destroyForcibly();
            }
        }
    }

    /**
     * Deta's svelte-kit starter has no start script: micros runs adapter-node's output with node
     * (issue 25), and so does the exported image, once its build made it. The image's CMD is run
     * in the exported folder after "the build" (the adapter's out, server/index.js, put there), behind the guard.
     */
    @Test
    void anExportedSvelteKitMicroWithoutAStartScriptRunsWhatItsBuildMade() throws Exception {
        Apps.require("node", "perl");
        Path project = Files.createDirectories(dir.resolve("kit-project/kit")).getParent();
        Files.writeString(project.resolve("Spacefile"), "v: 0\nmicros:\n  - name: kit\n    src: kit\n    engine: svelte-kit\n    primary: true\n");
        Files.writeString(project.resolve("kit/package.json"), "{\"name\": \"kit\", \"scripts\": {\"build\": \"vite build\"}}\n");
        Files.writeString(project.resolve("kit/svelte.config.js"), "import adapter from '@sveltejs/adapter-node';\n"
                + "export default { kit: { adapter: adapter({ out: 'server' }) } };\n");
        Path out = dir.resolve("kit-export");
        Run run = export(project, out);
        assertEquals(0, run.exit(), run.out());
        Path folder = out.resolve("micros/kit");
        String cmd = Files.readAllLines(folder.resolve("Dockerfile")).stream().filter(l -> l.startsWith("CMD ")).findFirst().orElseThrow();
        assertTrue(cmd.contains("if [ -f server/index.js ]; then exec node server; else exec npm run start -- --port \\\"$PORT\\\"; fi"), cmd);
        Files.createDirectories(folder.resolve("app/server"));
        Files.writeString(folder.resolve("app/server/index.js"), "require('http').createServer((q, s) => s.end('adapter-node output'))"
                + ".listen(process.env.PORT, '127.0.0.1');\n");
        List<String> argv = new ArrayList<>();
        for (Object a : (List<?>) micros.util.Json.parse(cmd.substring(4))) argv.add(((String) a).replace("/opt/micros/", folder + "/"));
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String key = "a-key-of-the-secret-0123456789";
        ProcessBuilder pb = new ProcessBuilder(argv).directory(folder.resolve("app").toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("kit.log").toFile());
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().put("MICROS_GATEWAY_KEY", key);
        pb.environment().put("HOME", "/tmp");
        Process p = pb.start();
        try {
            awaitPort(port, p, dir.resolve("kit.log"));
            Http.Response r = null;
            for (int i = 0; i < 250 && (r == null || r.status() != 200); i++) { // the guard listens before the micro does
                if (r != null) Thread.sleep(20);
                try {
                    r = Http.send(port, "GET / HTTP/1.1\r\nHost: x\r\nX-Micros-Gateway-Key: " + key + "\r\nConnection: close\r\n\r\n", null);
                } catch (IOException notYet) {
                    if (!p.isAlive()) break;
                }
            }
            assertTrue(r != null && r.status() == 200, (r == null ? "no answer" : r.status() + " " + r.text()) + "\n" + Files.readString(dir.resolve("kit.log")));
            assertEquals("adapter-node output", r.text());
        } finally {
            List<ProcessHandle> all = new ArrayList<>(p.toHandle().descendants().toList()); // before the guard goes: then they are no longer its
            p.destroyForcibly();
            all.forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle h : all) h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            p.waitFor();
        }
    }

    private static void awaitPort(int port, Process p, Path log) throws Exception {
        for (int i = 0; i < 1500; i++) {
            try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                if (!p.isAlive()) break;
                Thread.sleep(20);
            }
        }
        throw new AssertionError("the micro did not listen on " + port + ": " + Files.readString(log));
    }

    static final String DATA_MICRO = """
            import json, os, ssl, urllib.request
            from http.server import BaseHTTPRequestHandler, HTTPServer
            KEY = os.environ["DETA_PROJECT_KEY"]
            def call(method, path, body, ctype):
                url = "https://%s/v1/%s%s" % (os.environ["DETA_BASE_HOST"], KEY.split("_")[0], path)
                req = urllib.request.Request(url, data=body, method=method, headers={"X-API-Key": KEY, "Content-Type": ctype})
                with urllib.request.urlopen(req, context=ssl.create_default_context()) as r:
                    return r.status
            class H(BaseHTTPRequestHandler):
                def do_GET(self):
                    a = call("PUT", "/notes/items", json.dumps({"items": [{"key": "k1", "text": "base-item-" + "marker-7f3a"}]}).encode(), "application/json")
                    b = call("POST", "/files/files?name=hello.txt", b"drive-file-" + b"marker-9c2e", "text/plain")
                    body = ("written %d %d" % (a, b)).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args):
                    pass
            HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
            """;

    /**
     * A single-micro layout (src: .) after a run that was killed: the state folder beside the code
     * holds the project key, Base's log, Drive's files and run.properties with the owner token.
     * None of it, and no file holding the key or the token, reaches a micro's image or the
     * gateway's, whether the state folder is .micros or MICROS_STATE_DIR inside the project.
     */
    @Test
    void theStateFolderAndFilesHoldingASecretNeverReachAnImage() throws Exception {
        Apps.require("python3");
        Path app = Files.createDirectories(dir.resolve("app"));
        Files.writeString(app.resolve("Spacefile"), """
                v: 0
                micros:
                  - name: api
                    src: .
                    engine: python3.9
                    run: /usr/bin/python3 main.py
                    primary: true
                    public: true
                  - name: web
                    src: .
                    engine: static
                    serve: .
                    path: /web
                """);
        Files.writeString(app.resolve("main.py"), DATA_MICRO);
        String owner = "owner-token-of-the-killed-run-0123";
        try (micros.support.Jar.Proc p = micros.support.Jar.start(app, Map.of("MICROS_OWNER_TOKEN", owner), "run", "--port", "0")) {
            String line = p.await("is listening on", 30);
            int port = Integer.parseInt(line.replaceAll(".*http://127\\.0\\.0\\.1:([0-9]+).*", "$1"));
            micros.support.Http.Response written = micros.support.Http.get(port, "/");
            assertEquals("written 207 201", written.text(), p.output());
            p.signal("KILL");
            p.waitFor(10);
        }
        Path state = app.resolve(".micros");
        String key = Files.readString(state.resolve("project-key")).strip();
        assertTrue(Files.readString(state.resolve("run.properties")).contains(owner), "the killed run left its token");
        Files.writeString(app.resolve("settings.py"), "DETA_PROJECT_KEY = \"" + key + "\"\n"); // what an owner might paste
        Files.writeString(app.resolve("half.txt"), key.substring(9) + "\n");
        Files.writeString(app.resolve("owner.txt"), "token: " + owner + "\n");
        Files.createSymbolicLink(app.resolve("key-link"), state.resolve("project-key"));
        Files.writeString(app.resolve(".env"), "LOCAL_ONLY=1\n"); // on the default ignore list: never uploaded to Space
        List<String> secrets = List.of(key, key.substring(9), owner, "base-item-marker-7f3a", "drive-file-marker-9c2e");
        try {
            Path out = dir.resolve("out");
            Run r = export(app, out);
            assertEquals(0, r.exit(), r.out());
            for (String f : List.of("./settings.py", "./half.txt", "./owner.txt"))
                assertEquals(2, r.out().split("warning: left " + java.util.regex.Pattern.quote(f) + " out of the export: it holds ", -1).length,
                        "named once, though two micros share it: " + r.out());
            assertNothingOf(out, secrets, ".micros");
            assertTrue(Files.exists(out.resolve("micros/api/app/main.py")) && Files.exists(out.resolve("gateway/app/main.py")), "the code is there");
            assertFalse(Files.exists(out.resolve("micros/api/app/.env")) || Files.exists(out.resolve("gateway/app/.env")), "the default ignore list");

            // the state folder elsewhere in the project (MICROS_STATE_DIR): left out by its path
            Path elsewhere = app.resolve("state");
            try (Stream<Path> walk = Files.walk(state)) {
                for (Path p : (Iterable<Path>) walk::iterator)
                    if (Files.isDirectory(p)) Files.createDirectories(elsewhere.resolve(state.relativize(p).toString()));
                    else Files.copy(p, elsewhere.resolve(state.relativize(p).toString()));
            }
            Files.delete(app.resolve("settings.py"));
            Files.delete(app.resolve("half.txt"));
            Files.delete(app.resolve("owner.txt"));
            Path out2 = dir.resolve("out2");
            micros.support.Jar.Result moved = micros.support.Jar.run(app, Map.of("MICROS_STATE_DIR", elsewhere.toString()),
                    "export", "knative", ".", "--out", out2.toString());
            assertEquals(0, moved.exit(), moved.all());
            assertNothingOf(out2, secrets, "state");

            // the gateway's image needs the Spacefile: one holding the key is refused, nothing written
            String spacefile = Files.readString(app.resolve("Spacefile"));
            Files.writeString(app.resolve("Spacefile"), spacefile.replace("    public: true\n",
                    "    public: true\n    presets:\n      env:\n        - name: KEY\n          default: \"" + key + "\"\n"));
            Run refused = export(app, dir.resolve("out3"));
            Files.writeString(app.resolve("Spacefile"), spacefile);
            assertEquals(2, refused.exit(), refused.out());
            assertTrue(refused.out().contains("Spacefile holds the project key (DETA_PROJECT_KEY): take it out"), refused.out());
            assertFalse(Files.exists(dir.resolve("out3")), "nothing is written");
        } finally { // the killed run's micro is still running: the next start stops it
            try (micros.support.Jar.Proc p = micros.support.Jar.start(app, Map.of(), "run", "--port", "0")) {
                p.await("cleaned up after a run that did not stop cleanly", 30);
                p.await("Press Ctrl-C to stop.", 30);
            }
        }
    }

    /** No path under {@code out} passes through a folder named {@code stateName}, and no file holds any of {@code secrets}. */
    private static void assertNothingOf(Path out, List<String> secrets, String stateName) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(out)) {
            files = walk.toList();
        }
        assertTrue(files.size() > 5, files.toString());
        for (Path p : files) {
            for (Path part : out.relativize(p)) assertFalse(part.toString().equals(stateName), "the state folder in the export: " + p);
            assertFalse(Files.isSymbolicLink(p), "a link in the export: " + p);
            if (!Files.isRegularFile(p)) continue;
            String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
            for (String s : secrets) assertFalse(text.contains(s), p + " holds " + s);
        }
    }

    /** Golden files for the sample app; MICROS_UPDATE_GOLDEN=1 rewrites them. */
    @Test
    void theSampleMatchesItsGoldenFiles() throws Exception {
        Path out = dir.resolve("hello");
        assertEquals(0, export(app("hello"), out, "--image-prefix", "registry.invalid/space").exit());
        for (String f : List.of("micros/api/Dockerfile", "micros/greet/service.yaml", "gateway/Dockerfile", "gateway/gateway.yaml",
                "setup/network-policy.yaml", "setup/secrets.env.example", "kustomization.yaml", "data/pod.yaml")) {
            Path golden = GOLDEN.resolve(f);
            if (System.getenv("MICROS_UPDATE_GOLDEN") != null) {
                Files.createDirectories(golden.getParent());
                Files.copy(out.resolve(f), golden, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            assertEquals(Files.readString(golden), Files.readString(out.resolve(f)), f);
        }
    }

    // ---- a few YAML helpers ----

    private static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator)
                files.put(root.relativize(p).toString(), java.util.HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return files;
    }

    private static YamlNode node(YamlNode n, String... path) {
        for (String k : path) {
            if (!(n instanceof YamlNode.Mapping m)) return null;
            n = m.get(k);
        }
        return n;
    }

    private static String str(YamlNode n, String... path) {
        YamlNode v = node(n, path);
        return v == null ? null : ((YamlNode.Scalar) v).value();
    }

    private static YamlNode.Mapping item(YamlNode seq, int i) {
        return (YamlNode.Mapping) ((YamlNode.Sequence) seq).items().get(i);
    }

    private static YamlNode.Mapping first(YamlNode n, String... path) {
        return item(node(n, path), 0);
    }

    private static List<String> strings(YamlNode seq) {
        List<String> out = new ArrayList<>();
        for (YamlNode i : ((YamlNode.Sequence) seq).items()) out.add(((YamlNode.Scalar) i).value());
        return out;
    }

    /** Every container env entry of a Knative Service or a Deployment. */
    private static List<YamlNode.Mapping> envEntries(YamlNode.Mapping d) {
        YamlNode containers = node(d, "spec", "template", "spec");
        if (containers == null) return List.of();
        YamlNode list = ((YamlNode.Mapping) containers).get("containers");
        if (list == null) return List.of();
        List<YamlNode.Mapping> out = new ArrayList<>();
        for (YamlNode c : ((YamlNode.Sequence) list).items()) {
            YamlNode env = ((YamlNode.Mapping) c).get("env");
            if (env != null) for (YamlNode e : ((YamlNode.Sequence) env).items()) out.add((YamlNode.Mapping) e);
        }
        return out;
    }
}
