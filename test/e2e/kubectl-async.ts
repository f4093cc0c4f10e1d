// kubectl without blocking the event loop: the e2e tests run the operator in the same process as the pod runner,
// and a spawnSync kubectl would freeze both for its whole duration.
import { execFile } from "node:child_process";

export function kubectlAsync(kubeconfig: string, args: string[], opts: { input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("/usr/bin/kubectl", [`--kubeconfig=${kubeconfig}`, ...args], { maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(" ")} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export async function kubectlAsyncJson<T = unknown>(kubeconfig: string, args: string[]): Promise<T> {
  return JSON.parse(await kubectlAsync(kubeconfig, [...args, "-o", "json"])) as T;
}
