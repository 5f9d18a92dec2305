using YamlDotNet.RepresentationModel;

namespace Lora.Deploy.Tests.Support;

/// <summary>Small helpers over YamlDotNet's node model, for files whose shape is checked loosely (compose, Prometheus).</summary>
internal static class Yaml
{
    public static YamlMappingNode LoadMapping(params string[] path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(RepoPaths.Read(path)));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    public static YamlMappingNode Map(this YamlNode node, string key) => (YamlMappingNode)node[key];

    public static YamlSequenceNode Seq(this YamlNode node, string key) => (YamlSequenceNode)node[key];

    public static string Str(this YamlNode node, string key) => ((YamlScalarNode)node[key]).Value!;

    public static bool Has(this YamlMappingNode node, string key) => node.Children.ContainsKey(key);

    public static IEnumerable<(string Key, YamlNode Value)> Entries(this YamlMappingNode node) =>
        node.Children.Select(kv => (((YamlScalarNode)kv.Key).Value!, kv.Value));
}
