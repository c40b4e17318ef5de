package micros.support;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Tiny packages made on the spot, so installs need no package index: a wheel, an npm tarball. */
public final class Packages {
    private Packages() {}

    /** A pure-Python wheel holding one module {@code name}.py with {@code source}; returns its path in {@code dir}. */
    public static Path wheel(Path dir, String name, String version, String source) throws Exception {
        Files.createDirectories(dir);
        String info = name + "-" + version + ".dist-info";
        Map<String, String> files = new LinkedHashMap<>();
        files.put(name + ".py", source);
        files.put(info + "/METADATA", "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n");
        files.put(info + "/WHEEL", "Wheel-Version: 1.0\nGenerator: micros-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n");
        StringBuilder record = new StringBuilder();
        Path wheel = dir.resolve(name + "-" + version + "-py3-none-any.whl");
        try (OutputStream out = Files.newOutputStream(wheel); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (var f : files.entrySet()) {
                byte[] data = f.getValue().getBytes(StandardCharsets.UTF_8);
                zip.putNextEntry(new ZipEntry(f.getKey()));
                zip.write(data);
                zip.closeEntry();
                String hash = Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(data));
                record.append(f.getKey()).append(",sha256=").append(hash).append(',').append(data.length).append('\n');
            }
            record.append(info).append("/RECORD,,\n");
            zip.putNextEntry(new ZipEntry(info + "/RECORD"));
            zip.write(record.toString().getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
        return wheel;
    }

    /** An npm package {@code name} whose index.js exports {@code exported} (a JS expression), packed with `npm pack` into {@code dir}. */
    public static Path npmTarball(Path dir, String name, String exported) throws Exception {
        Path pkg = dir.resolve(name);
        Files.createDirectories(pkg);
        Files.writeString(pkg.resolve("package.json"), "{\"name\": \"" + name + "\", \"version\": \"1.0.0\", \"main\": \"index.js\"}\n");
        Files.writeString(pkg.resolve("index.js"), "module.exports = " + exported + ";\n");
        Process p = new ProcessBuilder("npm", "pack", "--silent", "--pack-destination", dir.toString()).directory(pkg.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("npm pack failed: " + out);
        return dir.resolve(name + "-1.0.0.tgz");
    }
}
