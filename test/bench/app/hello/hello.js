// Benchmark micro: 5 bytes for GET /, N MiB for /big?mb=N, counts the bytes of POST /upload.
const http = require("http");
const piece = Buffer.alloc(64 * 1024, 120);
http.createServer((req, res) => {
  if (req.url.startsWith("/big")) {
    const total = Number(new URL(req.url, "http://x").searchParams.get("mb") || 50) * 1024 * 1024;
    res.setHeader("Content-Length", total);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        const n = Math.min(piece.length, total - sent);
        sent += n;
        if (!res.write(n === piece.length ? piece : piece.subarray(0, n))) return res.once("drain", pump);
      }
      res.end();
    };
    return pump();
  }
  if (req.url.startsWith("/upload")) {
    let bytes = 0;
    req.on("data", (c) => { bytes += c.length; });
    return req.on("end", () => res.end(String(bytes)));
  }
  res.end("hello");
}).listen(Number(process.env.PORT), "127.0.0.1");
