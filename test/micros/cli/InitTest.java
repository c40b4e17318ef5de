package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import micros.spacefile.App;
import micros.spacefile.SpacefileReader;
import micros.support.Jar;

/** micros init on fixture folders for every engine, and on an ambiguous one. */
class InitTest {
    @TempDir
    Path dir;

    private static void write(Path p, String text) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    private App written(Path project) {
        micros.spacefile.Reading r = SpacefileReader.read(project.resolve("Spacefile"));
        assertTrue(r.valid(), "the written Spacefile passes validate: " + r.problems());
        return r.app();
    }

    /** file to create | its content | engine expected | run expected ("-" for none) */
    @ParameterizedTest(name = "{0} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "package.json | {\"dependencies\":{\"express\":\"4\"}} | nodejs16 | -",
            "package.json | {\"dependencies\":{\"react\":\"18\",\"react-scripts\":\"5\"}} | react | -",
            "package.json | {\"devDependencies\":{\"svelte\":\"3\"}} | svelte | -",
            "package.json | {\"devDependencies\":{\"@sveltejs/vite-plugin-svelte\":\"2\"}} | svelte | -",
            "package.json | {\"devDependencies\":{\"@vue/cli-service\":\"5\"}} | vue | -",
            "package.json | {\"devDependencies\":{\"@sveltejs/kit\":\"1\",\"svelte\":\"3\"}} | svelte-kit | -",
            "package.json | {\"dependencies\":{\"next\":\"13\",\"react\":\"18\"}} | next | -",
            "package.json | {\"dependencies\":{\"nuxt\":\"3\"}} | nuxt | -",
            "package.json | {\"devDependencies\":{\"nuxt3\":\"3\"}} | nuxt | -",
            "package.json | {\"scripts\":{\"start\":\"node server.js\"}} | nodejs16 | npm start",
            "requirements.txt | fastapi==0.92\\nuvicorn | python3.9 | -",
            "requirements.txt | flask | python3.9 | -",
            "requirements.txt | gunicorn\\nrequests | python3.9 | -",
            "main.py | from fastapi import FastAPI\\napp = FastAPI() | python3.9 | uvicorn main:app",
            "main.py | import flask\\nserver = flask.Flask(__name__) | python3.9 | flask --app main:server run",
            "Pipfile | [packages]\\nrequests = \"*\" | python3.9 | -",
            "setup.py | from setuptools import setup | python3.9 | -",
            "main.py | app = None | python3.9 | -",
            "go.mod | module example.com/app | custom | ./app",
            "Cargo.toml | [package]\\nname = \"tool\" | custom | ./target/release/tool",
            "index.html | <p>hi</p> | static | -",
    })
    void eachEngineIsDetected(String file, String content, String engine, String run) throws Exception {
        Path project = dir.resolve("p");
        write(project.resolve(file), content.replace("\\n", "\n"));
        Jar.Result r = Jar.run(project, "init", "--yes");
        assertEquals(0, r.exit(), r.all());
        App app = written(project);
        assertEquals(1, app.micros().size());
        App.Micro m = app.micros().get(0);
        assertEquals(engine, m.engine().id());
        assertEquals(".", m.src());
        assertTrue(m.primary());
        assertEquals(run.equals("-") ? null : run, m.run());
        if (engine.equals("static")) assertEquals(".", m.serve());
    }

    @Test
    void severalFoldersMakeSeveralMicrosWithTheFrontendPrimary() throws Exception {
        Path project = dir.resolve("p");
        write(project.resolve("backend/requirements.txt"), "fastapi\n");
        write(project.resolve("frontend/package.json"), "{\"dependencies\":{\"react-scripts\":\"5\"}}");
        write(project.resolve("node_modules/x/package.json"), "{}"); // never a micro
        write(project.resolve(".hidden/main.py"), "");
        Jar.Result r = Jar.runWithInput(project, "y\n", "init");
        assertEquals(0, r.exit(), r.all());
        App app = written(project);
        assertEquals(2, app.micros().size());
        assertEquals("frontend", app.primary().name());
        assertEquals("react", app.primary().engine().id());
        assertEquals("/backend", app.micro("backend").prefix());
    }

    @Test
    void aStrayPackageJsonBesideAFlaskAppIsAskedAboutNotGuessed() throws Exception {
        Path project = dir.resolve("p");
        write(project.resolve("package.json"), "{\"devDependencies\":{\"prettier\":\"3\"}}");
        write(project.resolve("main.py"), "from flask import Flask\napp = Flask(__name__)\n");
        Jar.Result yes = Jar.run(project, "init", "--yes");
        assertEquals(2, yes.exit(), yes.all());
        assertTrue(yes.err().contains("several engines fit \".\": nodejs16 (package.json), python3.9 (main.py with Flask)"), yes.all());
        assertFalse(Files.exists(project.resolve("Spacefile")));
        Jar.Result asked = Jar.runWithInput(project, "2\ny\n", "init");
        assertEquals(0, asked.exit(), asked.all());
        assertTrue(asked.err().contains("Several engines fit \".\":\n  1) nodejs16 (package.json)\n  2) python3.9 (main.py with Flask)"), asked.all());
        App app = written(project);
        assertEquals("python3.9", app.micros().get(0).engine().id());
        assertEquals("flask --app main run", app.micros().get(0).run());
    }

    @Test
    void anExistingSpacefileIsNeverOverwritten() throws Exception {
        Path project = dir.resolve("p");
        write(project.resolve("index.html"), "<p>x</p>");
        write(project.resolve("Spacefile"), "# mine\n");
        Jar.Result r = Jar.run(project, "init", "--yes");
        assertEquals(2, r.exit(), r.all());
        assertTrue(r.err().contains("already exists: init never overwrites it"), r.all());
        assertEquals("# mine\n", Files.readString(project.resolve("Spacefile")));
    }

    @Test
    void printOnlyPrintsAndNoAnswerWritesNothing() throws Exception {
        Path project = dir.resolve("p");
        write(project.resolve("index.html"), "<p>x</p>");
        Jar.Result print = Jar.run(project, "init", "--print");
        assertEquals(0, print.exit(), print.all());
        assertTrue(print.out().contains("engine: static"), print.all());
        assertFalse(Files.exists(project.resolve("Spacefile")));
        Jar.Result no = Jar.runWithInput(project, "n\n", "init");
        assertEquals(1, no.exit(), "no is an answer, not a usage error: " + no.all());
        assertTrue(no.err().endsWith("nothing written\n"), no.all());
        assertFalse(Files.exists(project.resolve("Spacefile")));
    }

    /** An empty folder gets a starter that runs: a static page, no runtime or install needed. */
    @Test
    void anEmptyFolderGetsAStarterThatPassesCheck() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Jar.Result no = Jar.runWithInput(empty, "n\n", "init");
        assertEquals(1, no.exit(), no.all());
        assertTrue(no.err().contains("proposing a starter"), no.all());
        try (var files = Files.list(empty)) {
            assertEquals(0, files.count(), "nothing written after no");
        }
        Jar.Result r = Jar.run(empty, "init", "--yes");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.err().contains("wrote " + empty.resolve("Spacefile") + " and " + empty.resolve("index.html")), r.all());
        assertEquals("static", written(empty).primary().engine().id());
        Jar.Result check = Jar.run(empty, "check");
        assertEquals(0, check.exit(), "the starter runs as written: " + check.all());
        assertTrue(check.out().matches("(?s).*\\nempty +GET / +below 400 +200 .*ok\\n.*"), check.all());
    }

    /** Flask's application factory (and gunicorn's and uvicorn's ways of calling one) gets a run that calls it. */
    @ParameterizedTest(name = "{2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "flask | from flask import Flask\\ndef create_app():\\n    return Flask(__name__) | flask --app app:create_app run",
            "flask | import flask\\ndef make_app(config=None, *args, **kw):\\n    return flask.Flask(__name__) | flask --app app:make_app run",
            "gunicorn\\nflask | from flask import Flask\\ndef create_app():\\n    return Flask(__name__) | gunicorn 'app:create_app()'",
            "fastapi\\nuvicorn | from fastapi import FastAPI\\ndef create_app() -> FastAPI:\\n    return FastAPI() | uvicorn app:create_app --factory",
    })
    void anAppFactoryGetsARunThatCallsIt(String requirements, String code, String run) throws Exception {
        Path project = dir.resolve("p");
        write(project.resolve("requirements.txt"), requirements.replace("\\n", "\n") + "\n");
        write(project.resolve("app.py"), code.replace("\\n", "\n") + "\n");
        Jar.Result r = Jar.run(project, "init", "--yes");
        assertEquals(0, r.exit(), r.all());
        assertEquals(run, written(project).primary().run());
    }

    /** A factory that needs arguments cannot be called by the server: no run that would fail at start, and why. */
    @Test
    void aFactoryThatNeedsArgumentsGetsNoRun() throws Exception {
        Path project = dir.resolve("p");
        write(project.resolve("requirements.txt"), "flask\n");
        write(project.resolve("app.py"), "from flask import Flask\ndef create_app(config_name, debug=False):\n    return Flask(__name__)\n");
        Jar.Result r = Jar.run(project, "init", "--yes");
        assertEquals(0, r.exit(), r.all());
        assertEquals(null, written(project).primary().run());
        assertTrue(r.err().contains("no 'run': create_app() in app.py needs arguments (config_name), so add run: yourself"), r.all());
    }

    /** The run init writes for a Flask factory starts the app (as the user running micros: the python3 on PATH has Flask). */
    @Test
    void theFactoryRunStartsAFlaskApp() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("python3", "-c", "import flask").start().waitFor() == 0,
                "the python3 on PATH has no Flask: this test runs a real Flask app without installing it");
        Path project = dir.resolve("p");
        write(project.resolve("requirements.txt"), "flask\n");
        write(project.resolve("app.py"), "from flask import Flask\n\ndef create_app():\n    app = Flask(__name__)\n\n"
                + "    @app.get('/')\n    def index():\n        return 'made by the factory'\n\n    return app\n");
        assertEquals(0, Jar.run(project, "init", "--yes").exit());
        Jar.Result check = Jar.run(project, java.util.Map.of(), "check", "--no-sandbox", "--no-install", "--expect", "/ 200");
        assertEquals(0, check.exit(), check.all());
    }

    @Test
    void printWritesOnlyTheSpacefileToStdout() throws Exception {
        Path project = dir.resolve("p");
        write(project.resolve("index.html"), "<p>x</p>");
        Jar.Result r = Jar.run(project, "init", "--print");
        assertEquals(0, r.exit(), r.all());
        Files.writeString(project.resolve("Spacefile"), r.out());
        written(project);
        assertTrue(r.out().startsWith("# Spacefile written by micros init"), r.out());
        assertTrue(r.err().contains("No Spacefile found"), r.all());
        assertFalse(r.out().contains("micro found in"), r.out());
    }

    @Test
    void printWithASpacefileSaysItExistsAndLeavesIt() throws Exception {
        Path project = dir.resolve("p");
        write(project.resolve("index.html"), "<p>x</p>");
        write(project.resolve("Spacefile"), "# mine\n");
        Jar.Result r = Jar.run(project, "init", "--print");
        assertEquals(0, r.exit(), r.all());
        assertFalse(r.all().contains("No Spacefile found"), r.all());
        assertTrue(r.err().contains("exists (it is not changed)"), r.all());
        assertEquals("# mine\n", Files.readString(project.resolve("Spacefile")));
    }

    @Test
    void moreThanFiveMicrosAreNeverWritten() throws Exception {
        Path project = dir.resolve("p");
        for (String f : new String[] {"a", "b", "c", "d", "e", "f"}) write(project.resolve(f + "/index.html"), "<p>x</p>");
        for (String mode : new String[] {"--yes", "--print"}) {
            Jar.Result r = Jar.run(project, "init", mode);
            assertEquals(2, r.exit(), r.all());
            assertTrue(r.err().contains("found 6 micros but a Spacefile holds at most 5: ./a (static), ./b (static)"), r.all());
            assertTrue(r.err().contains("drop or merge"), r.all());
            assertEquals("", r.out());
            assertFalse(Files.exists(project.resolve("Spacefile")));
        }
    }

    @Test
    void aRootThatIsAMicroIsTheWholeApp() throws Exception {
        Path project = dir.resolve("p");
        write(project.resolve("requirements.txt"), "flask\n");
        write(project.resolve("app.py"), "from flask import Flask\nserver = Flask(__name__)\n");
        write(project.resolve("docs/index.html"), "<p>docs</p>");
        write(project.resolve("mypackage/setup.py"), "");
        Jar.Result r = Jar.run(project, "init", "--yes");
        assertEquals(0, r.exit(), r.all());
        App app = written(project);
        assertEquals(1, app.micros().size(), r.all());
        assertEquals(".", app.primary().src());
        assertEquals("flask --app app:server run", app.primary().run());
    }

    @Test
    void runCommandsNameAModuleAndVariableThatExist() throws Exception {
        Path project = dir.resolve("p");
        write(project.resolve("requirements.txt"), "gunicorn\nflask\n");
        write(project.resolve("app.py"), "import flask\napplication: flask.Flask = flask.Flask(__name__)\n");
        Jar.Result r = Jar.run(project, "init", "--yes");
        assertEquals(0, r.exit(), r.all());
        assertEquals("gunicorn app:application", written(project).primary().run());

        Path none = dir.resolve("q");
        write(none.resolve("requirements.txt"), "uvicorn\n");
        write(none.resolve("server.py"), "print('no app here')\n");
        Jar.Result n = Jar.run(none, "init", "--yes");
        assertEquals(0, n.exit(), n.all());
        assertEquals(null, written(none).primary().run());
        assertTrue(n.err().contains("no 'run': no .py file here creates the FastAPI or Starlette or Quart app"), n.all());
    }

    @Test
    void yesAndPrintTogetherAreRefusedAndTheAdviceDoesNotLoop() throws Exception {
        Path project = dir.resolve("p");
        write(project.resolve("index.html"), "<p>x</p>");
        Jar.Result both = Jar.run(project, "init", "--yes", "--print");
        assertEquals(2, both.exit(), both.all());
        assertTrue(both.err().contains("give one of them"), both.all());

        write(project.resolve("package.json"), "{}");
        write(project.resolve("main.py"), "");
        Jar.Result yes = Jar.run(project, "init", "--yes");
        assertEquals(2, yes.exit());
        assertTrue(yes.err().contains("in a terminal"), yes.all());
        Jar.Result eof = Jar.runWithInput(project, "", "init");
        assertEquals(2, eof.exit());
        assertFalse(eof.err().contains("--yes"), "no advice to use --yes, which refuses this folder: " + eof.all());
    }
}
