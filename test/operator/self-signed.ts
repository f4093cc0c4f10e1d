// A self-signed certificate for 127.0.0.1 and localhost (its own CA), made by openssl, for the report endpoint's TLS.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Writes DIR/tls.crt and DIR/tls.key (over any earlier pair) and returns the certificate's PEM. */
export function selfSigned(dir: string, cn: string): { certFile: string; keyFile: string; cert: string } {
  const certFile = join(dir, "tls.crt");
  const keyFile = join(dir, "tls.key");
  const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", `/CN=${cn}`,
    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", keyFile, "-out", certFile], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.error ?? r.stderr}`);
  return { certFile, keyFile, cert: readFileSync(certFile, "utf8") };
}
