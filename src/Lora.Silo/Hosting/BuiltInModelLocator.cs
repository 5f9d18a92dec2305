namespace Lora.Silo.Hosting;

/// <summary>Finds the built-in base model (models/builtin-tiny, shipped in the repository) from where the silo runs.</summary>
public static class BuiltInModelLocator
{
    public const string RelativePath = "models/builtin-tiny";

    public static string Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, RelativePath);
                if (File.Exists(Path.Combine(candidate, "config.json"))) return candidate;
            }
        }
        throw new DirectoryNotFoundException($"built-in base model not found: no '{RelativePath}' above {AppContext.BaseDirectory}; pass --base-model-path DIR.");
    }
}
