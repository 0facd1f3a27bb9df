import { KubeConfig } from "@kubernetes/client-node";

/**
 * The cluster and the credentials to use: `$KUBECONFIG` or `~/.kube/config` when there is one,
 * else the pod's service account (in-cluster), as kubectl does.
 */
export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}
