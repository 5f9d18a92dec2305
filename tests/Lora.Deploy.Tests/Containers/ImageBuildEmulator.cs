using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Lora.Deploy.Tests.Containers;

/// <summary>What a built stage holds: its root filesystem as a folder, and the image settings it declared.</summary>
internal sealed record BuiltStage(string Root, string WorkDir, IReadOnlyDictionary<string, string> Env,
    IReadOnlyList<string> Exposed, IReadOnlyList<string> Entrypoint, string? User, string? Healthcheck,
    IReadOnlyList<string> SkippedRuns)
{
    /// <summary>A container path (absolute, or relative to the working directory) as a path on this machine.</summary>
    public string HostPath(string containerPath) => ImageBuildEmulator.Map(Root, WorkDir, containerPath);
}

/// <summary>
/// Builds a Dockerfile's stages without a container engine (there is none on these machines). Each stage's root
/// filesystem is a temporary folder. COPY copies from the build context, filtered by the Dockerfile's .dockerignore,
/// or from an earlier stage's folder, with Docker's rules (a directory source copies its contents). RUN steps that
/// call <c>dotnet</c> run on this machine's SDK, with the ARG and ENV values as environment variables and absolute
/// container paths mapped into the stage's folder, so the real restore and publish commands are what is tested.
/// Other RUN steps (apt-get, chown) set up the base image's OS; they are listed in <see cref="BuiltStage.SkippedRuns"/>.
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
                    Copy(step, root, workDir, values, where);
                    break;
                case "RUN" when step.Arguments.StartsWith("dotnet ", StringComparison.Ordinal):
                    Run(step.Arguments, root, workDir, values, where);
                    break;
                case "RUN":
                    skipped.Add(step.Arguments);
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
        return new BuiltStage(root, workDir, env, exposed, entrypoint, user, healthcheck, skipped);
    }

    private void Copy(DockerInstruction step, string root, string workDir, IReadOnlyDictionary<string, string> values, string where)
    {
        var parts = Dockerfile.Substitute(step.Arguments, values).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) throw new FormatException($"{where}: COPY needs a source and a destination");
        var (sources, dest) = (parts[..^1], parts[^1]);
        var destIsDir = dest.EndsWith('/') || sources.Length > 1;
        var target = Map(root, workDir, dest);
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

    private static void Run(string command, string root, string workDir, IReadOnlyDictionary<string, string> values, string where)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = Map(root, "/", workDir), RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(AbsolutePath().Replace(command, m => Map(root, "/", m.Value)));
        foreach (var (name, value) in values) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{where}: RUN {command} did not finish in 10 minutes");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{where}: RUN {command} exited {process.ExitCode}:\n{Tail(stdout.Result + stderr.Result)}");
    }

    internal static string Map(string root, string workDir, string containerPath) =>
        Path.Combine(root, Path.GetFullPath(containerPath, workDir).TrimStart('/'));

    private static string Tail(string text) => text.Length <= 4000 ? text : "…" + text[^4000..];

    /// <summary>An absolute path argument such as "/app" (after a space or '='), not a URL or a flag.</summary>
    [GeneratedRegex(@"(?<=(^|\s|=))/[A-Za-z][^\s]*")]
    private static partial Regex AbsolutePath();

    public void Dispose()
    {
        try { _scratch.Delete(recursive: true); }
        catch (IOException) { }   // a process that just exited may still hold a file for a moment; /tmp is cleaned anyway
    }
}
