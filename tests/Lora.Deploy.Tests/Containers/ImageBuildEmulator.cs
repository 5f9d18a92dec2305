using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Lora.Deploy.Tests.Containers;

/// <summary>What a built stage holds: its root filesystem as a folder, and the image settings it declared.</summary>
internal sealed record BuiltStage(string Root, string WorkDir, IReadOnlyDictionary<string, string> Env,
    IReadOnlyList<string> Exposed, IReadOnlyList<string> Entrypoint, string? User, string? Healthcheck,
    IReadOnlyList<string> SkippedRuns, IReadOnlyDictionary<string, string> Owners)
{
    /// <summary>A container path (absolute, or relative to the working directory) as a path on this machine.</summary>
    public string HostPath(string containerPath) => ImageBuildEmulator.Map(Root, WorkDir, containerPath);

    /// <summary>Owner of a container path as the build set it (see <see cref="ImageBuildEmulator"/>): "root" unless a
    /// COPY --chown, a RUN chown or a RUN mkdir under a USER gave it another, written as in the Dockerfile ($APP_UID).</summary>
    public string OwnerOf(string containerPath) =>
        Owners.GetValueOrDefault(Path.GetFullPath(containerPath, WorkDir).TrimEnd('/') is { Length: > 0 } p ? p : "/", "root");

    /// <summary>True when the image's USER may create files in the directory: it runs as root, or owns it.</summary>
    public bool IsWritableByUser(string containerPath) =>
        ImageBuildEmulator.OwnerName(User) is "root" or "0" || OwnerOf(containerPath) == ImageBuildEmulator.OwnerName(User);
}

/// <summary>
/// Builds a Dockerfile's stages without a container engine (there is none on these machines). Each stage's root
/// filesystem is a temporary folder. COPY copies from the build context, filtered by the Dockerfile's .dockerignore,
/// or from an earlier stage's folder, with Docker's rules (a directory source copies its contents). RUN steps that
/// call <c>dotnet</c> run on this machine's SDK, with the ARG and ENV values as environment variables and absolute
/// container paths mapped into the stage's folder, so the real restore and publish commands are what is tested.
/// Other RUN steps (apt-get, chown) set up the base image's OS; they are listed in <see cref="BuiltStage.SkippedRuns"/>.
/// Ownership is modelled, because an image that runs as a non-root USER can write only where it owns the directory:
/// everything belongs to root except what COPY --chown copies, what a RUN step's <c>chown [-R] OWNER PATH…</c> command
/// names (commands joined by &amp;&amp;), and what its <c>mkdir</c> creates under a non-root USER. A directory that WORKDIR
/// creates is root's (the classic builder's rule; BuildKit's depends on its version, so a Dockerfile must not rely on it).
/// </summary>
internal sealed partial class ImageBuildEmulator(string context, string dockerfilePath) : IDisposable
{
    private readonly Dockerfile _file = Dockerfile.Parse(dockerfilePath);
    private readonly DockerIgnore _ignore = DockerIgnore.Load(dockerfilePath + ".dockerignore");
    private readonly Dictionary<string, BuiltStage> _built = [];
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("lora-image-");

    public Dockerfile File => _file;

    /// <summary>Builds every stage up to and including <paramref name="stageName"/>, in file order.</summary>
    public BuiltStage Build(string stageName)
    {
        foreach (var stage in _file.Stages)
        {
            if (!_built.ContainsKey(stage.Name)) _built[stage.Name] = BuildStage(stage);
            if (stage.Name == stageName) return _built[stage.Name];
        }
        throw new ArgumentException($"{dockerfilePath} has no stage '{stageName}'.");
    }

    private BuiltStage BuildStage(DockerStage stage)
    {
        var root = Directory.CreateDirectory(Path.Combine(_scratch.FullName, stage.Name)).FullName;
        var workDir = "/";
        var args = new Dictionary<string, string>();
        var env = new Dictionary<string, string>();
        List<string> exposed = [], entrypoint = [], skipped = [];
        var owners = new Dictionary<string, string>();
        string? user = null, healthcheck = null;
        foreach (var step in stage.Instructions)
        {
            var where = $"{Path.GetFileName(dockerfilePath)}:{step.Line}";
            var values = args.Concat(env).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value);
            switch (step.Keyword)
            {
                case "ARG":
                    var (name, fallback) = Dockerfile.SplitArg(step.Arguments);
                    args[name] = fallback ?? _file.GlobalArgs.GetValueOrDefault(name, "");
                    break;
                case "ENV":
                    foreach (var pair in step.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var eq = pair.IndexOf('=');
                        if (eq < 0) throw new FormatException($"{where}: ENV '{pair}' is not NAME=value");
                        env[pair[..eq]] = Dockerfile.Substitute(pair[(eq + 1)..].Trim('"'), values);
                    }
                    break;
                case "WORKDIR":
                    workDir = Path.GetFullPath(Dockerfile.Substitute(step.Arguments, values), workDir);
                    Directory.CreateDirectory(Map(root, "/", workDir));
                    break;
                case "COPY":
                    Copy(step, root, workDir, values, where, owners);
                    break;
                case "RUN" when step.Arguments.StartsWith("dotnet ", StringComparison.Ordinal):
                    Run(step.Arguments, root, workDir, values, where);
                    break;
                case "RUN":
                    skipped.Add(step.Arguments);
                    ApplyOwnership(step.Arguments, root, workDir, OwnerName(user), owners);
                    break;
                case "EXPOSE":
                    exposed.AddRange(step.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                    break;
                case "ENTRYPOINT":
                    entrypoint = JsonSerializer.Deserialize<List<string>>(step.Arguments)
                        ?? throw new FormatException($"{where}: ENTRYPOINT must be a JSON array (exec form)");
                    break;
                case "USER":
                    user = step.Arguments;
                    break;
                case "HEALTHCHECK":
                    healthcheck = step.Arguments;
                    break;
            }
        }
        return new BuiltStage(root, workDir, env, exposed, entrypoint, user, healthcheck, skipped, owners);
    }

    private void Copy(DockerInstruction step, string root, string workDir, IReadOnlyDictionary<string, string> values, string where,
        Dictionary<string, string> owners)
    {
        var parts = Dockerfile.Substitute(step.Arguments, values).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) throw new FormatException($"{where}: COPY needs a source and a destination");
        var (sources, dest) = (parts[..^1], parts[^1]);
        var destIsDir = dest.EndsWith('/') || sources.Length > 1;
        var target = Map(root, workDir, dest);
        var before = Directory.Exists(target)
            ? Directory.EnumerateFileSystemEntries(target, "*", SearchOption.AllDirectories).Append(target).ToHashSet()
            : System.IO.File.Exists(target) ? [target] : new HashSet<string>();
        var fromStage = step.Flags.TryGetValue("from", out var from) ? _built.GetValueOrDefault(from)
            ?? throw new InvalidOperationException($"{where}: COPY --from={from} names no earlier stage") : null;
        foreach (var source in sources)
        {
            var path = fromStage is null ? Path.Combine(context, source) : Map(fromStage.Root, "/", source);
            var relative = source.TrimStart('.', '/');
            if (fromStage is null && relative.Length > 0 && _ignore.Excludes(relative))
                throw new InvalidOperationException($"{where}: COPY source '{source}' is excluded by {Path.GetFileName(dockerfilePath)}.dockerignore");
            if (Directory.Exists(path)) CopyDirectory(path, target, fromStage is null ? relative : null);
            else if (System.IO.File.Exists(path))
            {
                var file = destIsDir ? Path.Combine(target, Path.GetFileName(path)) : target;
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                System.IO.File.Copy(path, file, overwrite: true);
            }
            else throw new FileNotFoundException($"{where}: COPY source '{source}' does not exist in {(fromStage is null ? "the build context" : "stage " + from)}");
        }
        if (step.Flags.TryGetValue("chown", out var chown))
        {
            // What this COPY created is the --chown owner's; a directory that already existed keeps its owner.
            var owner = OwnerName(chown);
            var destination = Path.GetFullPath(dest, workDir).TrimEnd('/');
            if (!before.Contains(target)) owners[destination] = owner;
            if (Directory.Exists(target))
                foreach (var entry in Directory.EnumerateFileSystemEntries(target, "*", SearchOption.AllDirectories).Where(e => !before.Contains(e)))
                    owners[destination + "/" + Path.GetRelativePath(target, entry).Replace('\\', '/')] = owner;
        }
    }

    /// <summary>The ownership effects of a RUN step's <c>mkdir</c> and <c>chown</c> commands; others are ignored.</summary>
    private static void ApplyOwnership(string command, string root, string workDir, string user, Dictionary<string, string> owners)
    {
        foreach (var segment in command.Split("&&"))
        {
            var words = segment.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim('"', '\'')).ToList();
            if (words.Count == 0) continue;
            var flags = words.Skip(1).Where(w => w.StartsWith('-')).ToList();
            var operands = words.Skip(1).Where(w => !w.StartsWith('-')).ToList();
            switch (words[0])
            {
                case "mkdir":
                    foreach (var dir in operands.Select(d => Path.GetFullPath(d, workDir)))
                    {
                        var existed = Directory.Exists(Map(root, "/", dir));
                        Directory.CreateDirectory(Map(root, "/", dir));
                        if (!existed && user is not ("root" or "0")) owners[dir.TrimEnd('/')] = user;
                    }
                    break;
                case "chown" when operands.Count >= 2:
                    var recursive = flags.Any(f => f is "-R" or "--recursive");
                    foreach (var path in operands.Skip(1)) SetOwner(root, Path.GetFullPath(path, workDir), OwnerName(operands[0]), recursive, owners);
                    break;
            }
        }
    }

    private static void SetOwner(string root, string containerPath, string owner, bool recursive, Dictionary<string, string> owners)
    {
        var path = containerPath.TrimEnd('/') is { Length: > 0 } p ? p : "/";
        owners[path] = owner;
        var host = Map(root, "/", path);
        if (!recursive || !Directory.Exists(host)) return;
        foreach (var entry in Directory.EnumerateFileSystemEntries(host, "*", SearchOption.AllDirectories))
            owners[path.TrimEnd('/') + "/" + Path.GetRelativePath(host, entry).Replace('\\', '/')] = owner;
    }

    /// <summary>The user part of USER / chown / --chown text ("$APP_UID:$APP_UID", "${APP_UID}"), written as $NAME; null is root.</summary>
    internal static string OwnerName(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) return "root";
        var user = spec.Trim().Trim('"', '\'');
        user = user.Contains(':') ? user[..user.IndexOf(':')] : user;
        return BracedVariable().Replace(user, m => "$" + m.Groups[1].Value);
    }

    /// <summary>Copies a directory's contents; <paramref name="contextPrefix"/> (for context sources) applies the ignore file.</summary>
    private void CopyDirectory(string source, string target, string? contextPrefix)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file).Replace('\\', '/');
            if (contextPrefix is not null && _ignore.Excludes(contextPrefix.Length == 0 ? relative : $"{contextPrefix.TrimEnd('/')}/{relative}")) continue;
            var destination = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            System.IO.File.Copy(file, destination, overwrite: true);
        }
    }

    /// <summary>All RUN steps of one emulator (one image build) share this, so a build stays well under .ci/run's
    /// 8-minute hang timeout and fails with its own message instead.</summary>
    private static readonly TimeSpan RunBudget = TimeSpan.FromMinutes(6);
    private DateTime? _runsEnd;

    private void Run(string command, string root, string workDir, IReadOnlyDictionary<string, string> values, string where)
    {
        _runsEnd ??= DateTime.UtcNow + RunBudget;
        var start = new ProcessStartInfo("bash") { WorkingDirectory = Map(root, "/", workDir), RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        // No build servers left running after the step (MSBuild nodes, the MSBuild server, VBCSCompiler): nothing
        // of a test may outlive it.
        start.ArgumentList.Add(DotnetVerb().Replace(AbsolutePath().Replace(command, m => Map(root, "/", m.Value)),
            "$0 -p:UseSharedCompilation=false", 1));
        foreach (var (name, value) in values) start.Environment[name] = value;
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var left = _runsEnd.Value - DateTime.UtcNow;
        if (!process.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{where}: RUN {command} did not finish within the build's {RunBudget.TotalMinutes:0} minutes for RUN steps");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{where}: RUN {command} exited {process.ExitCode}:\n{Tail(stdout.Result + stderr.Result)}");
    }

    internal static string Map(string root, string workDir, string containerPath) =>
        Path.Combine(root, Path.GetFullPath(containerPath, workDir).TrimStart('/'));

    private static string Tail(string text) => text.Length <= 4000 ? text : "…" + text[^4000..];

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex BracedVariable();

    /// <summary>The leading "dotnet VERB" of a RUN step (only steps that start with dotnet are run).</summary>
    [GeneratedRegex(@"^dotnet \S+")]
    private static partial Regex DotnetVerb();

    /// <summary>An absolute path argument such as "/app" (after a space or '='), not a URL or a flag.</summary>
    [GeneratedRegex(@"(?<=(^|\s|=))/[A-Za-z][^\s]*")]
    private static partial Regex AbsolutePath();

    public void Dispose()
    {
        try { _scratch.Delete(recursive: true); }
        catch (IOException) { }   // a process that just exited may still hold a file for a moment; /tmp is cleaned anyway
    }
}
