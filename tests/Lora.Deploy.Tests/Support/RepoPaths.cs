namespace Lora.Deploy.Tests.Support;

/// <summary>Locates files in the repository from the test binary's folder, wherever the tests run from.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(Of(parts));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LoraCluster.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("LoraCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
