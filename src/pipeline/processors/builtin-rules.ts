/**
 * The detections the agent ships with, in the same YAML format users write (see
 * detection-rule.ts), so `--rules-file` can copy and adapt any of them. The numbers in the
 * descriptions refer to the consolidated table in design/detections.md, which names the Falco,
 * Sigma, Elastic and Panther rules each one is modelled on (logic re-stated, not copied).
 *
 * Conventions: `RequestReceived` is skipped so a request logged at several stages alerts once
 * per stage that has a response; rules about objects a request creates read `requestObject`, so
 * they need the audit policy to log those resources at level Request or higher.
 */
export const BUILTIN_RULES_YAML = String.raw`
rules:
  - id: anonymous-request-allowed
    description: "#1 A request by an unauthenticated user was allowed"
    severity: high
    match:
      decision: allow
    any:
      - user: system:anonymous
      - group: system:unauthenticated
    unless:
      # Public by design: health probes, version, and service-account issuer discovery.
      - uri: ["/healthz", "/healthz?*", "/healthz/*", "/livez", "/livez?*", "/livez/*", "/readyz", "/readyz?*", "/readyz/*", "/version", "/version?*", "/.well-known/openid-configuration", "/openid/v1/jwks"]
      - stage: RequestReceived

  - id: pod-exec-attach
    description: "#2 Someone ran a command in or attached to a container"
    severity: high
    match:
      resource: pods
      subresource: [exec, attach]
      verb: [create, get]
    unless:
      - stage: RequestReceived
      - code: {gte: 400}

  - id: pod-exec-suspicious-command
    description: "#3 Exec of a network tool, reverse shell, credential read or metadata-service call"
    severity: critical
    match:
      resource: pods
      subresource: exec
      execCommand: {regex: '/(^|[\s/;|&])(curl|wget|nc|ncat|socat|telnet)(\s|$)|\/dev\/tcp\/|\/var\/run\/secrets\/kubernetes\.io|169\.254\.169\.254|\.kube\/config|\/etc\/shadow|base64 +(-d|--decode)/'}
    unless:
      - stage: RequestReceived
      - code: {gte: 400}

  - id: pod-port-forward
    description: "#4 A port of a pod was forwarded to a client"
    severity: medium
    match:
      resource: pods
      subresource: portforward
    unless:
      - stage: RequestReceived
      - code: {gte: 400}

  - id: node-proxy-access
    description: "#5 The kubelet API was reached through the API server's nodes/proxy"
    severity: high
    match:
      resource: nodes
      subresource: proxy
    unless:
      - stage: RequestReceived
      - code: {gte: 400}
      - uri: ["*/proxy/metrics*", "*/proxy/healthz*", "*/proxy/stats*"]
      - user: ["system:apiserver", "system:kube-controller-manager", "system:node:*"]

  - id: ephemeral-container-added
    description: "#6 A debug (ephemeral) container was added to a running pod"
    severity: high
    match:
      resource: pods
      subresource: ephemeralcontainers
      verb: [update, patch]
    unless:
      - stage: RequestReceived
      - code: {gte: 400}

  - id: privileged-container
    description: "#7 A pod or workload asks for a privileged container"
    severity: critical
    match:
      verb: [create, update, patch]
      podContainers.securityContext.privileged: true
    unless:
      - stage: RequestReceived

  - id: sensitive-hostpath-mount
    description: "#8 A pod or workload mounts a sensitive host path"
    severity: critical
    match:
      verb: [create, update, patch]
      podSpec.volumes.hostPath.path:
        - "/"
        - "/proc"
        - "/proc/*"
        - "/etc"
        - "/etc/"
        - "/etc/kubernetes"
        - "/etc/kubernetes/*"
        - "/root"
        - "/root/*"
        - "/home/admin"
        - "/home/admin/*"
        - "/var/run/docker.sock"
        - "/run/docker.sock"
        - "/var/run/containerd/containerd.sock"
        - "/run/containerd/containerd.sock"
        - "/var/run/crio/crio.sock"
        - "/run/crio/crio.sock"
        - "/var/lib/kubelet"
        - "/var/lib/kubelet/*"
    unless:
      - stage: RequestReceived

  - id: host-namespace-pod
    description: "#9 A pod or workload shares the node's network, PID or IPC namespace"
    severity: high
    match:
      verb: [create, update, patch]
    any:
      - podSpec.hostNetwork: true
      - podSpec.hostPID: true
      - podSpec.hostIPC: true
    unless:
      - stage: RequestReceived

  - id: dangerous-capabilities
    description: "#10 A container adds a Linux capability that allows escaping to the node"
    severity: high
    match:
      verb: [create, update, patch]
      podContainers.securityContext.capabilities.add:
        regex: '^(CAP_)?(ALL|SYS_ADMIN|SYS_PTRACE|SYS_MODULE|SYS_RAWIO|SYS_BOOT|NET_ADMIN|BPF|PERFMON|DAC_READ_SEARCH)$'
    unless:
      - stage: RequestReceived

  - id: pod-in-system-namespace
    description: "#11 A pod that is not a known control-plane image was created in kube-system or kube-public"
    severity: medium
    match:
      verb: create
      resource: pods
      namespace: [kube-system, kube-public]
    unless:
      - stage: RequestReceived
      - subresource: {exists: true}
      - code: {gte: 400}
      - user: "system:node:*"
      - podContainers.image:
          every: ["registry.k8s.io/*", "k8s.gcr.io/*", "*.gcr.io/*", "*.amazonaws.com/*", "mcr.microsoft.com/*", "quay.io/cilium/*", "docker.io/calico/*", "calico/*"]

  - id: serviceaccount-in-system-namespace
    description: "#12 A service account was created in kube-system or kube-public"
    severity: medium
    match:
      verb: create
      resource: serviceaccounts
      namespace: [kube-system, kube-public]
    unless:
      - stage: RequestReceived
      - subresource: {exists: true}
      - code: {gte: 400}
      - user: ["system:kube-controller-manager", "system:apiserver"]

  - id: cluster-admin-binding
    description: "#13 Someone was bound to the cluster-admin role"
    severity: critical
    match:
      resource: [clusterrolebindings, rolebindings]
      verb: [create, update, patch]
      requestObject.roleRef.name: cluster-admin
    unless:
      - stage: RequestReceived
      - decision: forbid
      - code: {gte: 400}

  - id: wildcard-role
    description: "#14 A Role or ClusterRole grants every verb or every resource"
    severity: high
    match:
      resource: [roles, clusterroles]
      verb: [create, update, patch]
    any:
      - requestObject.rules.verbs: '\*'
      - requestObject.rules.resources: '\*'
    unless:
      - stage: RequestReceived
      - code: {gte: 400}
      - user: ["system:apiserver", "system:serviceaccount:kube-system:clusterrole-aggregation-controller"]

  - id: role-grants-sensitive-access
    description: "#14 A Role or ClusterRole grants exec/attach, nodes/proxy, or the escalate, bind or impersonate verbs"
    severity: high
    match:
      resource: [roles, clusterroles]
      verb: [create, update, patch]
    any:
      - requestObject.rules.resources: [pods/exec, pods/attach, pods/portforward, nodes/proxy]
      - requestObject.rules.verbs: [escalate, bind, impersonate]
    unless:
      - stage: RequestReceived
      - code: {gte: 400}
      - user: ["system:apiserver", "system:serviceaccount:kube-system:clusterrole-aggregation-controller"]

  - id: system-role-modified
    description: "#15 A built-in system: Role or ClusterRole was changed or deleted"
    severity: high
    match:
      resource: [roles, clusterroles]
      verb: [update, patch, delete]
      name: "system:*"
    unless:
      - stage: RequestReceived
      - code: {gte: 400}
      - user: ["system:apiserver", "system:serviceaccount:kube-system:*"]

  - id: rbac-changed-by-serviceaccount
    description: "#16 A service account outside kube-system wrote an RBAC object"
    severity: high
    match:
      user: "system:serviceaccount:*"
      resource: [roles, clusterroles, rolebindings, clusterrolebindings]
      verb: [create, update, patch, delete, deletecollection]
    unless:
      - stage: RequestReceived
      - code: {gte: 400}
      - user: "system:serviceaccount:kube-system:*"

  - id: serviceaccount-token-created
    description: "#17 A service-account token was minted for a person or an unexpected client"
    severity: medium
    match:
      verb: create
    any:
      - resource: serviceaccounts
        subresource: token
      - resource: secrets
        requestObject.type: kubernetes.io/service-account-token
    unless:
      - stage: RequestReceived
      - code: {gte: 400}
      - user: ["system:kube-controller-manager", "system:node:*", "system:serviceaccount:kube-system:*", "system:apiserver"]

  - id: secrets-listed-cluster-wide
    description: "#18 Secrets of every namespace were listed or watched"
    severity: high
    match:
      resource: secrets
      verb: [list, watch]
      namespace: {exists: false}
    unless:
      - stage: RequestReceived
      - user: ["system:kube-controller-manager", "system:apiserver", "system:serviceaccount:kube-system:*"]

  - id: secrets-read-by-script
    description: "#18 Secrets read by a scripting HTTP client rather than kubectl or a controller"
    severity: medium
    match:
      resource: secrets
      verb: [get, list, watch]
      userAgent: ["curl/*", "Wget*", "python-requests/*", "Python-urllib/*", "python-httpx/*", "Go-http-client/*", "PostmanRuntime/*", "okhttp/*"]
    unless:
      - stage: RequestReceived
      - code: {gte: 400}

  - id: configmap-with-credentials
    description: "#20 A ConfigMap holds what looks like cloud keys or passwords"
    severity: medium
    match:
      resource: configmaps
      verb: [create, update, patch]
      requestObject.data.*:
        regex: '/aws[_-](s3[_-])?access[_-]key[_-]id|aws[_-]secret[_-]access[_-]key|password|passphrase|BEGIN [A-Z ]*PRIVATE KEY/i'
    unless:
      - stage: RequestReceived

  - id: cluster-dns-or-aws-auth-modified
    description: "#20 The CoreDNS, kube-dns or aws-auth ConfigMap in kube-system was changed or deleted"
    severity: high
    match:
      resource: configmaps
      namespace: kube-system
      name: [coredns, kube-dns, aws-auth]
      verb: [update, patch, delete]
    unless:
      - stage: RequestReceived
      - code: {gte: 400}

  - id: admission-webhook-changed
    description: "#21 A mutating or validating admission webhook was created, changed or deleted"
    severity: high
    match:
      apiGroup: admissionregistration.k8s.io
      resource: [mutatingwebhookconfigurations, validatingwebhookconfigurations]
      verb: [create, update, patch, delete, deletecollection]
    unless:
      - stage: RequestReceived
      - code: {gte: 400}

  - id: events-deleted
    description: "#22 Kubernetes Events were deleted, which hides what happened"
    severity: medium
    match:
      resource: events
      verb: [delete, deletecollection]
    unless:
      - stage: RequestReceived
      - code: {gte: 400}
      - user: "system:serviceaccount:kube-system:namespace-controller"

  - id: impersonation
    description: "#23 A request impersonated another user or group"
    severity: low
    match:
      impersonatedUser: {exists: true}
    unless:
      - stage: RequestReceived
      - decision: forbid
      - code: [401, 403]

  - id: impersonation-of-privileged-identity
    description: "#23 A request impersonated system:masters, system:admin or a kube-system identity"
    severity: critical
    any:
      - impersonatedUser.groups: system:masters
      - impersonatedUser.username: ["system:admin", "system:kube-controller-manager", "system:kube-scheduler", "system:serviceaccount:kube-system:*"]
    unless:
      - stage: RequestReceived
      - decision: forbid
      - code: [401, 403]

  - id: client-certificate-request
    description: "#24 A client-certificate signing request was created or approved outside the node bootstrap flow"
    severity: high
    match:
      resource: certificatesigningrequests
    any:
      - subresource: approval
        verb: [update, patch]
      - verb: create
        requestObject.spec.signerName: kubernetes.io/kube-apiserver-client
    unless:
      - stage: RequestReceived
      - code: {gte: 400}
      - user: ["system:kube-controller-manager", "system:node:*", "system:bootstrap:*", "system:serviceaccount:kube-system:*"]

  - id: auth-failure-burst
    description: "#25 One user got 10 or more 401/403 answers within a minute (permission probing)"
    severity: high
    any:
      - code: [401, 403]
      - decision: forbid
    unless:
      - stage: RequestReceived
    threshold:
      count: 10
      windowSeconds: 60
      groupBy: [user.username]

  - id: nodeport-service
    description: "#26 A Service of type NodePort exposes pods on every node"
    severity: medium
    match:
      resource: services
      verb: [create, update, patch]
      requestObject.spec.type: NodePort
    unless:
      - stage: RequestReceived
      - code: {gte: 400}

  - id: ingress-without-tls
    description: "#30 An Ingress was created without TLS"
    severity: low
    match:
      resource: ingresses
      verb: create
      requestObject.kind: Ingress
      requestObject.spec.tls: {exists: false}
    unless:
      - stage: RequestReceived
      - code: {gte: 400}

  - id: system-identity-from-public-ip
    description: "#29 A control-plane or node identity made a request from a public IP address"
    severity: high
    match:
      user: ["system:*", "eks:*"]
      sourceIPs[0]:
        exists: true
        not:
          regex: '^(10\.|127\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|169\.254\.|100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.|::1$|[fF][cCdD]|[fF][eE][89aAbB])'
    unless:
      - stage: RequestReceived
      - user: ["system:anonymous", "system:unauthenticated"]
`;
