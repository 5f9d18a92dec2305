using System.Reflection;

namespace Lora.System.Tests.Infrastructure;

/// <summary>Repository files and the silo executable, found from the test binary wherever the tests run from.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string BuiltInModel => Of("models", "builtin-tiny");

    /// <summary>
    /// The silo built by this test project's ProjectReference in the same configuration, so `dotnet test` alone
    /// builds everything the tests start: no separate build step that CI could forget.
    /// </summary>
    public static string SiloDll
    {
        get
        {
            var path = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .First(a => a.Key == "SiloDll").Value!;
            path = Path.GetFullPath(path.Replace('\\', Path.DirectorySeparatorChar));
            return File.Exists(path) ? path
                : throw new FileNotFoundException($"silo executable not built at {path}; run `dotnet build src/Lora.Silo` with the test's configuration.");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LoraCluster.sln"))) return dir.FullName;
        throw new InvalidOperationException("LoraCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
