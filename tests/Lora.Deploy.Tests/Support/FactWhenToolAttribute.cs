namespace Lora.Deploy.Tests.Support;

/// <summary>
/// A fact that is skipped only when the tool is not on PATH. scripts/install-deps.sh installs
/// every tool used this way, so on CI these run; on a bare developer machine they say what to install.
/// </summary>
public sealed class FactWhenToolAttribute : FactAttribute
{
    public FactWhenToolAttribute(string tool)
    {
        if (ExternalTool.Find(tool) is null)
        {
            Skip = $"{tool} is not installed (scripts/install-deps.sh installs it)";
        }
    }
}
