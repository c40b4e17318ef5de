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

/**
 * `micros export knative` without a cluster: every YAML document parsed back and checked, every
 * secret referenced and never inline, every Dockerfile COPY naming a file that exists, the same
 * bytes twice, and golden files for the sample app.
 */
class ExportTest {
    static final Path JAR = Path.of("build/micros.jar").toAbsolutePath();
    static final Path GOLDEN = Path.of("test/fixtures/export-golden/hello").toAbsolutePath();
    static final Set<String> KINDS = Set.of("serving.knative.dev/v1 Service", "v1 PersistentVolumeClaim", "apps/v1 Deployment", "v1 Service",
            "networking.k8s.io/v1 Ingress", "gateway.networking.k8s.io/v1 HTTPRoute", "kustomize.config.k8s.io/v1beta1 Kustomization");

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
        return name.equals("hello") ? Path.of("samples/hello").toAbsolutePath() : Apps.FIXTURES.resolve(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"hello", "export/back", "export/front", "export/nuxt", "engines", "routing", "auth"})
    void everyManifestParsesBackWithSpacesLimitsAndNoInlineSecret(String name) throws Exception {
        Path out = dir.resolve("out");
        Run r = export(app(name), out, "--namespace", "apps");
        assertEquals(0, r.exit(), r.out());
        App app = SpacefileReader.read(app(name).resolve("Spacefile")).app();
        String readme = Files.readString(out.resolve("README.md"));
        List<Micro> process = app.micros().stream().filter(m -> !m.engine().staticLike()).toList();
        int knative = 0, deployments = 0;
        List<String> yamlFiles;
        try (Stream<Path> walk = Files.walk(out)) {
            yamlFiles = walk.filter(p -> p.toString().endsWith(".yaml") && !p.toString().contains("/app/") && !p.toString().contains("/build/"))
                    .map(Path::toString).sorted().toList();
        }
        for (String file : yamlFiles) {
            String text = Files.readString(Path.of(file));
            for (String defaultValue : List.of("deta is cool")) assertFalse(text.contains(defaultValue), file + " has a preset value inline");
            for (String doc : text.split("\n---\n")) {
                YamlNode.Mapping d = (YamlNode.Mapping) YamlParser.parse(doc);
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
                    assertEquals("/app/.micros/ca", str(env(c, "MICROS_CA_DIR"), "value"), "the CA on the data volume");
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
                    assertTrue(readme.contains("--from-literal='" + key + "="), "README's kubectl create secret has " + key);
                }
            }
        }
        assertEquals(process.size(), knative, "one Knative Service per process micro");
        assertEquals(1, deployments);
        checkDockerfiles(out, process);
        assertTrue(readme.contains("node-level setting"), "README says what does not carry over");
        String ca = Names.join(Manifests.appName(app), "ca");
        assertTrue(readme.contains("kubectl create configmap " + ca + " --namespace apps --from-file=micros-ca.pem --from-file=ca-bundle.pem"), readme);
        assertTrue(readme.contains("cat /app/.micros/ca/micros-ca.pem > micros-ca.pem"), "README says where the gateway's CA is: " + readme);
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
        assertEquals("0", str(d, "spec", "template", "metadata", "annotations", "autoscaling.knative.dev/min-scale"), file);
        assertEquals("20", str(d, "spec", "template", "spec", "timeoutSeconds"), file);
        YamlNode.Mapping c = first(d, "spec", "template", "spec", "containers");
        assertEquals("512Mi", str(c, "resources", "limits", "memory"), file);
        assertEquals("true", str(c, "securityContext", "readOnlyRootFilesystem"), file);
        assertEquals("true", str(c, "securityContext", "runAsNonRoot"), file);
        assertEquals("/tmp", str(item(node(c, "volumeMounts"), 0), "mountPath"), file);
        YamlNode.Mapping tmp = first(d, "spec", "template", "spec", "volumes");
        assertEquals("512Mi", str(tmp, "emptyDir", "sizeLimit"), file);
        List<String> names = new ArrayList<>();
        for (YamlNode e : ((YamlNode.Sequence) c.get("env")).items()) names.add(str((YamlNode.Mapping) e, "name"));
        assertTrue(names.containsAll(List.of("DETA_PROJECT_KEY", "DETA_API_KEY", "DETA_SPACE_APP_HOSTNAME", "DETA_SPACE_APP_MICRO_NAME")), names.toString());
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

    /** COPY sources exist in the build context; the launcher and packaged files are what micros would run. */
    private static void checkDockerfiles(Path out, List<Micro> process) throws IOException {
        List<Path> dockerfiles = new ArrayList<>();
        for (Micro m : process) dockerfiles.add(out.resolve("micros").resolve(m.name()).resolve("Dockerfile"));
        dockerfiles.add(out.resolve("gateway/Dockerfile"));
        for (Path f : dockerfiles) {
            assertTrue(Files.isRegularFile(f), f.toString());
            List<String> lines = Files.readAllLines(f);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("FROM ")), f.toString());
            for (String l : lines) {
                if (!l.startsWith("COPY ") || l.startsWith("COPY --from=")) continue;
                String source = l.split(" ")[1];
                assertTrue(Files.exists(f.getParent().resolve(source)), f + ": COPY " + source + " names nothing");
            }
            String cmd = lines.stream().filter(l -> l.startsWith("CMD ") || l.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
            assertTrue(cmd.contains("[\""), f + ": exec form: " + cmd);
        }
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

    @Test
    void packagingFollowsIncludeAndSpaceignoreAndLeavesDependenciesOut() throws Exception {
        Path out = dir.resolve("out");
        // what a developer's folder holds after a local run, made here rather than committed: installed modules, byte code
        Path back = Apps.copy("export/back", dir.resolve("src"));
        Files.createDirectories(back.resolve("node/node_modules/x"));
        Files.writeString(back.resolve("node/node_modules/x/index.js"), "module.exports = 1;\n");
        Files.createDirectories(back.resolve("py39/__pycache__"));
        Files.write(back.resolve("py39/__pycache__/main.cpython-39.pyc"), new byte[] {0x61, 0x0d, 0x0d, 0x0a});
        assertEquals(0, export(back, out).exit());
        assertTrue(Files.exists(out.resolve("micros/py38/app/app.py")));
        assertFalse(Files.exists(out.resolve("micros/py38/app/extra.py")), "not in include");
        assertTrue(Files.exists(out.resolve("micros/py39/app/main.py")));
        assertFalse(Files.exists(out.resolve("micros/py39/app/notes.txt")), ".spaceignore");
        assertFalse(Files.exists(out.resolve("micros/py39/app/__pycache__")), "the default ignore list");
        assertFalse(Files.exists(out.resolve("micros/node/app/node_modules")), "dependencies are installed in the image");
        assertTrue(Files.readString(out.resolve("micros/node/Dockerfile")).contains("RUN npm ci\n"), "a lockfile: npm ci");
        assertTrue(Files.readString(out.resolve("micros/kit/Dockerfile")).contains("RUN npm install\n"), "no lockfile: npm install");
        String py = Files.readString(out.resolve("micros/py39/Dockerfile"));
        assertTrue(py.contains("python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt"), py);
        assertTrue(py.contains("FROM " + Dockerfiles.PYTHON39), py);
        assertEquals(Files.readString(Path.of("src/micros/runtime/python_launcher.py")), Files.readString(out.resolve("micros/py39/python_launcher.py")));
        assertTrue(Files.readString(out.resolve("micros/custom/Dockerfile")).contains("RUN chmod +x run.sh\n"), "the Spacefile's commands run in the image");
        Path front = dir.resolve("front");
        assertEquals(0, export(app("export/front"), front).exit());
        String gw = Files.readString(front.resolve("gateway/Dockerfile"));
        assertTrue(gw.contains("COPY --from=build-react /src/build/ /app/react/build/"), "the missing folder to serve is built: " + gw);
        assertTrue(Files.exists(front.resolve("gateway/app/vue/dist/index.html")), "a present folder is copied as it is");
        assertTrue(Files.exists(front.resolve("gateway/app/Spacefile")));
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

    /** The gateway's image holds what `micros gateway` needs: run it on gateway/app, the micros started as their images would. */
    @Test
    void theGatewaysFilesServeTheAppInFrontOfItsMicros() throws Exception {
        Apps.require("node", "python3");
        Path out = dir.resolve("hello");
        assertEquals(0, export(app("hello"), out).exit());
        App hello = SpacefileReader.read(app("hello").resolve("Spacefile")).app();
        try (micros.support.RemoteMicros remote = micros.support.RemoteMicros.start(hello, Map.of())) {
            List<String> args = new ArrayList<>(List.of("gateway", out.resolve("gateway/app").toString(), "--port", "0"));
            remote.remotes().forEach((name, r) -> args.addAll(List.of("--micro", name + "=" + r.url())));
            try (micros.support.Jar.Proc p = micros.support.Jar.start(dir, Map.of("MICROS_OWNER_TOKEN", Apps.OWNER), args.toArray(String[]::new))) {
                p.await("Press Ctrl-C to stop.", 20);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("listening on http://127.0.0.1:(\\d+)").matcher(p.output());
                assertTrue(m.find(), p.output());
                int port = Integer.parseInt(m.group(1));
                assertTrue(micros.support.Http.get(port, "/").text().contains("<"), "the static primary, from the image's files");
                assertEquals(200, micros.support.Http.get(port, "/api/health").status(), "a public route");
                assertEquals(401, micros.support.Http.get(port, "/greet/").status(), "private by default");
                micros.support.Http.Response greet = micros.support.Http.send(port, "GET /greet/?name=K8s HTTP/1.1\r\nHost: x\r\nCookie: space_token="
                        + Apps.OWNER + "\r\nConnection: close\r\n\r\n", null);
                assertEquals("Hello, K8s! (from greet)\n", greet.text());
            }
        }
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
        for (String f : List.of("micros/api/Dockerfile", "micros/greet/service.yaml", "gateway/Dockerfile", "gateway/gateway.yaml")) {
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
