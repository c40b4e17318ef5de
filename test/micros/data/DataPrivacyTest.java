package micros.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Http;
import micros.util.Json;

/**
 * The app's data is micros' user's alone (security review, issue 24, finding 10): every folder
 * under the data folder 0700 and every file 0600, those made while serving as much as those an
 * older run left looser (tightened at open), uploads in progress, staged and damaged files,
 * imports and the export zip included.
 */
class DataPrivacyTest {
    @TempDir
    Path dir;
    static final String KEY = "a0private_k3y", PID = "a0private";

    /** What under root is not 0700 (folders) or 0600 (files), with its mode. */
    private static List<String> notPrivate(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                String want = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "rwx------" : "rw-------";
                if (!mode.equals(want)) out.add(root.relativize(p) + " " + mode);
            }
        }
        return out;
    }

    private static void loosen(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList())
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
        }
    }

    private static Http.Response call(DataServer data, String method, String target, String type, byte[] body) throws IOException {
        String hp = data.hostPort();
        int port = Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
        return Http.send(port, method + " /v1/" + PID + target + " HTTP/1.1\r\nHost: localhost\r\nX-API-Key: " + KEY + "\r\nConnection: close\r\n"
                + (type == null ? "" : "Content-Type: " + type + "\r\n") + (body == null ? "" : "Content-Length: " + body.length + "\r\n") + "\r\n", body);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Test
    void everyFileAndFolderIsPrivateFromItsCreation() throws Exception {
        Path dataDir = dir.resolve("state").resolve("data");
        // an older run's data, as loose as older micros left it, with a torn log tail to keep aside at the next open
        try (DataServer old = DataServer.open(dataDir, KEY)) {
            old.base().importItems("old", List.of(Map.of("key", "k", "v", 1L)), false);
            old.drive().store().put("olddrive", "f.txt", new ByteArrayInputStream("old".getBytes(StandardCharsets.UTF_8)), 100);
        }
        Files.write(dataDir.resolve("bases/old.log"), new byte[] {0, 0, 0, 9, 1, 2}, StandardOpenOption.APPEND);
        loosen(dataDir);
        assertTrue(notPrivate(dataDir).size() > 5, notPrivate(dataDir).toString());

        List<String> notices = new ArrayList<>();
        DataServer data = DataServer.start(dataDir, KEY, null, "localhost", DataServer.Listen.LOOPBACK, notices::add);
        try {
            assertTrue(data.base().recoveryWarnings().toString().contains("damaged"), data.base().recoveryWarnings().toString());
            assertEquals(List.of(), notPrivate(dataDir), "tightened at open, the damaged tail's copy made private");
            // what serving makes (new bases, drives, long names' side files, types, an upload in progress) is private as made
            String longBase = "é".repeat(50), longDrive = "ü".repeat(120), longName = "a/é/".repeat(100) + "x";
            byte[] item = "{\"items\":[{\"key\":\"k\"}]}".getBytes(StandardCharsets.UTF_8);
            assertEquals(207, call(data, "PUT", "/fresh/items", null, item).status());
            assertEquals(207, call(data, "PUT", "/" + enc(longBase) + "/items", null, item).status());
            assertEquals(201, call(data, "POST", "/newdrive/files?name=a.txt", "text/plain", new byte[] {'a'}).status());
            assertEquals(201, call(data, "POST", "/" + enc(longDrive) + "/files?name=" + enc(longName), "text/plain", new byte[] {'b'}).status());
            Http.Response init = call(data, "POST", "/newdrive/uploads?name=big.bin", null, null);
            assertEquals(202, init.status(), init.text());
            String id = (String) Json.object(init.text()).get("upload_id");
            assertEquals(200, call(data, "POST", "/newdrive/uploads/" + id + "/parts?name=big.bin&part=1", "application/x-big", new byte[1000]).status());
            assertTrue(Files.isDirectory(dataDir.resolve("drives/newdrive/uploads/" + id)));
            assertEquals(List.of(), notPrivate(dataDir), "an upload in progress");
            assertEquals(200, call(data, "PATCH", "/newdrive/uploads/" + id + "?name=big.bin", null, null).status());
            assertEquals(List.of(), notPrivate(dataDir));
            assertEquals(List.of(), notices);
            // an export holds all of the app's data: private too, wherever it is written; an import of it as well
            Path export = Files.createDirectories(dir.resolve("out")).resolve("export.zip");
            ExportZip.write(export, data);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(export)));
            ExportZip.load(export, data, true);
            assertEquals(List.of(), notPrivate(dataDir), "after an import");
        } finally {
            data.close();
        }
    }
}
