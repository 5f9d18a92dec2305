namespace Lora.Deploy.Tests.Support;

/// <summary>
/// A fact that is skipped only when the tool is not on PATH. scripts/install-deps.sh installs
/// every tool used this way, so on CI these run; on a bare developer machine they say what to install.
/// </summary>
public sealed class FactWhenToolAttribute : FactAttribute
{
    public FactWhenToolAttribute(string tool) => Skip = MissingTool.SkipReason(tool, "scripts/install-deps.sh installs it");
}

/// <summary>The theory form of <see cref="FactWhenToolAttribute"/>: every case is reported skipped when the tool is not on
/// PATH, the reason naming where it comes from (a tool install-deps.sh does not install says so).</summary>
public sealed class TheoryWhenToolAttribute : TheoryAttribute
{
    public TheoryWhenToolAttribute(string tool, string whereFrom) => Skip = MissingTool.SkipReason(tool, whereFrom);
}

internal static class MissingTool
{
    /// <summary>Null (the test runs) when the tool is on PATH, else why it is skipped.</summary>
    public static string? SkipReason(string tool, string whereFrom) =>
        ExternalTool.Find(tool) is null ? $"{tool} is not installed ({whereFrom})" : null;
}
