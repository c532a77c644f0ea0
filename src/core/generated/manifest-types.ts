// Generated from schemas/ by `npm run gen:types`. Do not edit.

/**
 * A virtual IP address that VRRP (keepalived, unicast) keeps on exactly one healthy node of a Docker Swarm.
 */
export interface VirtualIP {
  /**
   * Schema version of this manifest.
   */
  apiVersion: 'swarm-vip/v1';
  /**
   * Kind of this manifest.
   */
  kind: 'VirtualIP';
  metadata: VirtualIPMetadata;
  spec: VirtualIPSpec;
}
/**
 * Identity of the VirtualIP.
 */
export interface VirtualIPMetadata {
  /**
   * Unique name, a DNS label. Names the containers (keepalived-<name>) and their swarm-vip.vip label.
   */
  name: string;
  /**
   * Free-form string labels for the operator's own use.
   */
  labels?: {
    [k: string]: string;
  };
}
/**
 * What the VIP is and where it may live.
 */
export interface VirtualIPSpec {
  /**
   * The virtual addresses, as CIDRs (192.168.4.3/24, fd00::10/64); a bare address means a host route (/32 or /128). All of one family.
   *
   * @minItems 1
   * @maxItems 20
   */
  addresses: string[];
  /**
   * VRRP virtual router ID, 1..255. Derived from the name when absent; must differ from every other VIP sharing a node.
   */
  virtualRouterId?: number;
  /**
   * The target nodes by swarm hostname or node ID, each with its VRRP priority. Exactly one of nodes and nodeSelector.
   *
   * @minItems 1
   */
  nodes?: NodeRef[];
  nodeSelector?: NodeSelector;
  /**
   * Network interface that carries the VIP. Default: the node's interface that holds its VRRP unicast address.
   */
  interface?: string;
  /**
   * true: a higher-priority node takes the VIP back when it returns; false renders nopreempt.
   */
  preempt?: boolean;
  /**
   * VRRP advertisement interval in seconds, 0.01..255; a backup takes over after 3 intervals + skew of silence. Default 0.05 (VRRPv3: a dead holder's address moves in ~0.2 s), or 1 with authentication (VRRPv2 counts whole seconds: ~3.4 s). A fractional value needs VRRPv3 (used automatically), which has no authentication.
   */
  advertInterval?: number;
  authentication?: Authentication;
  healthCheck?: HealthCheck;
  /**
   * Container image with `sh` and `keepalived` on PATH (and `ip` unless interface is set).
   */
  image?: string;
  /**
   * true: the reconciler leaves this VIP's containers exactly as they are.
   */
  suspend?: boolean;
}
/**
 * One target node and its VRRP priority.
 */
export interface NodeRef {
  /**
   * Swarm node hostname or node ID.
   */
  name: string;
  /**
   * VRRP priority 1..254; the highest healthy node holds the VIP.
   */
  priority: number;
}
/**
 * Select swarm nodes by role and node labels. A selected node's priority is its node label swarm-vip.priority (1..254), default 100.
 */
export interface NodeSelector {
  /**
   * Swarm role the node must have.
   */
  role?: 'manager' | 'worker' | 'any';
  /**
   * Node labels that must all be present with these values.
   */
  labels?: {
    [k: string]: string;
  };
}
/**
 * VRRPv2 simple password (PASS, at most 8 characters). Never inline: read from a file or an environment variable of the reconciler.
 */
export interface Authentication {
  /**
   * Absolute path of a file, on the reconciler's host, holding the password: a regular file of at most 256 bytes inside a directory the reconciler was given with --password-dir (SWARM_VIP_PASSWORD_DIRS), links resolved; refused when none was given.
   */
  passwordFile?: string;
  /**
   * Name of an environment variable of the reconciler holding the password; it must start with the reconciler's --password-env-prefix (default VRRP_PASSWORD).
   */
  passwordEnv?: string;
}
/**
 * A check run inside the keepalived container on every node; while it fails, the node gives up the VIP.
 */
export interface HealthCheck {
  tcp?: TcpCheck;
  http?: HttpCheck;
  /**
   * A command (argv) run in the container; exit status 0 means healthy.
   *
   * @minItems 1
   * @maxItems 64
   */
  exec?: string[];
  /**
   * Seconds between checks.
   */
  intervalSeconds?: number;
  /**
   * Seconds before a check counts as failed.
   */
  timeoutSeconds?: number;
  /**
   * Consecutive failures before the node is unhealthy.
   */
  fall?: number;
  /**
   * Consecutive successes before the node is healthy again.
   */
  rise?: number;
}
/**
 * Succeeds when a TCP connection opens.
 */
export interface TcpCheck {
  /**
   * Host to connect to; default 127.0.0.1 (the node itself). A host name, IPv4 or IPv6 address.
   */
  host?: string;
  /**
   * TCP port.
   */
  port: number;
}
/**
 * Succeeds when an HTTP GET answers with the expected status.
 */
export interface HttpCheck {
  /**
   * http:// URL to fetch (RFC 3986 characters only).
   */
  url: string;
  /**
   * Expected HTTP status code.
   */
  expectStatus?: number;
}

/**
 * How the reconciler reaches one swarm node's Docker engine, and the node's VRRP unicast address.
 */
export interface NodeEndpoint {
  /**
   * Schema version of this manifest.
   */
  apiVersion: 'swarm-vip/v1';
  /**
   * Kind of this manifest.
   */
  kind: 'NodeEndpoint';
  metadata: NodeEndpointMetadata;
  spec: NodeEndpointSpec;
}
/**
 * Identity of the node.
 */
export interface NodeEndpointMetadata {
  /**
   * The swarm node's hostname.
   */
  name: string;
  /**
   * Node labels, matched by nodeSelector when nodes are not discovered from a swarm (swarm-vip.priority sets the priority).
   */
  labels?: {
    [k: string]: string;
  };
}
/**
 * Where the node's Docker engine answers.
 */
export interface NodeEndpointSpec {
  /**
   * Docker engine URL: unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host.
   */
  docker: string;
  tls?: TlsFiles;
  ssh?: SshFiles;
  /**
   * The node's VRRP unicast address (IPv4 or IPv6). Default: the node's address in the swarm.
   */
  address?: string;
  /**
   * The node's IPv6 unicast address, for IPv6 VIPs on a dual-stack node.
   */
  ipv6Address?: string;
}
/**
 * Client TLS files for a tcp:// endpoint.
 */
export interface TlsFiles {
  /**
   * CA certificate (PEM).
   */
  caFile: string;
  /**
   * Client certificate (PEM).
   */
  certFile: string;
  /**
   * Client key (PEM).
   */
  keyFile: string;
}
/**
 * Credentials and known host keys for an ssh:// endpoint (paths on the reconciler's host). Fields left out come from --ssh-identity, --ssh-agent and --ssh-known-hosts.
 */
export interface SshFiles {
  /**
   * Private key (OpenSSH or PEM format, without a passphrase).
   */
  identityFile?: string;
  /**
   * ssh-agent socket whose keys are offered after the identity file.
   */
  agentSocket?: string;
  /**
   * known_hosts (OpenSSH format) that must list the node's host key; a missing or different key refuses the node. Default: --ssh-known-hosts, else ~/.ssh/known_hosts.
   */
  knownHostsFile?: string;
}
