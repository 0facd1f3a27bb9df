import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** PEM files made by {@link makeTestCertificates}. */
export interface TestCertificates {
  /** The CA that signed `certFile`. */
  readonly caFile: string;
  /** Server certificate for 127.0.0.1 and localhost. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Another CA, which did not sign `certFile` (a client trusting it must be refused). */
  readonly otherCaFile: string;
}

/**
 * A throwaway CA and a server certificate for loopback, made with the system's `openssl`, for
 * tests of the TLS options (valid one day; never for a real deployment).
 */
export function makeTestCertificates(dir: string): TestCertificates {
  const f = (name: string): string => join(dir, name);
  const ssl = (...args: string[]): void => void execFileSync("openssl", args, { stdio: "ignore" });
  const ca = (name: string): void => ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${name}`, "-keyout", f(`${name}.key`), "-out", f(`${name}.pem`));
  ca("fulcrum-test-ca");
  ca("fulcrum-other-ca");
  ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", f("server.key"), "-out", f("server.csr"));
  writeFileSync(f("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  ssl("x509", "-req", "-in", f("server.csr"), "-CA", f("fulcrum-test-ca.pem"), "-CAkey", f("fulcrum-test-ca.key"), "-CAcreateserial", "-days", "1", "-extfile", f("san.ext"), "-out", f("server.pem"));
  return { caFile: f("fulcrum-test-ca.pem"), certFile: f("server.pem"), keyFile: f("server.key"), otherCaFile: f("fulcrum-other-ca.pem") };
}
