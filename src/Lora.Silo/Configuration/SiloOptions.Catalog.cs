namespace Lora.Silo.Configuration;

// The option contract as data. Parsing, docs/operations.md and the deploy manifests are all checked against
// this table, so adding an option here is the one change that makes it exist everywhere.
public sealed partial record SiloOptions
{
    /// <summary>Prefix of every silo environment variable; pass it to <c>AddEnvironmentVariables</c>.</summary>
    public const string EnvPrefix = "LORA_";

    public static readonly SiloOptionDescriptor BaseModelIdOption = new(
        "--base-model-id", "LORA_BASE_MODEL_ID", "builtin-tiny",
        "Id of the one frozen base model this silo hosts; adapter grain keys start with it, so placement routes jobs here.");

    public static readonly SiloOptionDescriptor BaseModelPathOption = new(
        "--base-model-path", "LORA_BASE_MODEL_PATH", "",
        "Hugging Face Llama-family checkpoint directory (read-only volume in Kubernetes). Empty: the built-in model.");

    public static readonly SiloOptionDescriptor DeviceOption = new(
        "--device", "LORA_DEVICE", "cpu",
        "cpu, cuda or auto (CUDA when the image has the CUDA backend and a GPU is visible).");

    public static readonly SiloOptionDescriptor SiloPortOption = new(
        "--silo-port", "LORA_SILO_PORT", "11111", "Orleans silo-to-silo port.");

    public static readonly SiloOptionDescriptor GatewayPortOption = new(
        "--gateway-port", "LORA_GATEWAY_PORT", "30000", "Orleans gateway port that clients (SDK, CLI) connect to.");

    public static readonly SiloOptionDescriptor HttpPortOption = new(
        "--http-port", "LORA_HTTP_PORT", "8080", "HTTP port for /health, /metrics and /dashboard.");

    public static readonly SiloOptionDescriptor HttpHostOption = new(
        "--http-host", "LORA_HTTP_HOST", "127.0.0.1",
        "Address the HTTP endpoints bind to. Containers set 0.0.0.0 so probes and Prometheus can reach them.");

    public static readonly SiloOptionDescriptor PrimaryOption = new(
        "--primary", "LORA_PRIMARY", "",
        "HOST:PORT of the primary silo's silo port (localhost clustering only). Empty: this silo is the primary.");

    public static readonly SiloOptionDescriptor DataDirOption = new(
        "--data-dir", "LORA_DATA_DIR", "./data", "Folder for file storage (checkpoints, job index) and local state.");

    public static readonly SiloOptionDescriptor ClusteringOption = new(
        "--clustering", "LORA_CLUSTERING", "localhost", "localhost (one machine, development) or redis (cluster profile).");

    public static readonly SiloOptionDescriptor StorageOption = new(
        "--storage", "LORA_STORAGE", "files", "Grain storage: files (under the data dir), redis, or memory (lost on restart).");

    public static readonly SiloOptionDescriptor RemindersOption = new(
        "--reminders", "LORA_REMINDERS", "memory",
        "Reminder service: memory or redis. Only redis lets jobs resume after a silo is lost.");

    public static readonly SiloOptionDescriptor RedisOption = new(
        "--redis", "LORA_REDIS", "127.0.0.1:6379",
        "Redis HOST:PORT (StackExchange.Redis options may follow after a comma) for every redis-backed provider.");

    public static readonly SiloOptionDescriptor ClusterIdOption = new(
        "--cluster-id", "LORA_CLUSTER_ID", "lora-dev", "Orleans ClusterId: silos with the same id form one cluster.");

    public static readonly SiloOptionDescriptor ServiceIdOption = new(
        "--service-id", "LORA_SERVICE_ID", "lora-cluster",
        "Orleans ServiceId: keys persisted state and reminders; keep it stable across deployments.");

    public static readonly SiloOptionDescriptor AdvertisedIpOption = new(
        "--advertised-ip", "LORA_ADVERTISED_IP", "",
        "IP other silos and clients use to reach this silo. Empty: loopback. Kubernetes sets the pod IP.");

    public static readonly SiloOptionDescriptor SiloNameOption = new(
        "--silo-name", "LORA_SILO_NAME", "", "Silo name in membership, logs and metrics. Empty: generated. Kubernetes sets the pod name.");

    public static readonly SiloOptionDescriptor DashboardOption = new(
        "--dashboard", "LORA_DASHBOARD", "true", "true or false: serve the Orleans dashboard at /dashboard.");

    public static readonly SiloOptionDescriptor ShutdownTimeoutSecondsOption = new(
        "--shutdown-timeout-seconds", "LORA_SHUTDOWN_TIMEOUT_SECONDS", "20",
        "Graceful shutdown budget (checkpoint, leave membership). Keep below Kubernetes terminationGracePeriodSeconds.");

    public static readonly SiloOptionDescriptor BaseModelDtypeOption = new(
        "--base-model-dtype", "LORA_BASE_MODEL_DTYPE", "float32",
        "float32 or bfloat16: element type of the frozen base weights; adapters always train in float32.");

    /// <summary>Every silo option in documentation order.</summary>
    public static readonly IReadOnlyList<SiloOptionDescriptor> All =
    [
        BaseModelIdOption, BaseModelPathOption, DeviceOption, SiloPortOption, GatewayPortOption, HttpPortOption,
        HttpHostOption, PrimaryOption, DataDirOption, ClusteringOption, StorageOption, RemindersOption, RedisOption,
        ClusterIdOption, ServiceIdOption, AdvertisedIpOption, SiloNameOption, DashboardOption,
        ShutdownTimeoutSecondsOption, BaseModelDtypeOption,
    ];

    /// <summary>Switch → configuration key, for <c>AddCommandLine(args, SiloOptions.SwitchMappings)</c>.</summary>
    public static IDictionary<string, string> SwitchMappings =>
        All.ToDictionary(o => o.Switch, o => o.Key, StringComparer.OrdinalIgnoreCase);
}
