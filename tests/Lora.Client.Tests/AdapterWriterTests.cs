using Lora.Abstractions;
using Lora.Client;

namespace Lora.Client.Tests;

public sealed class AdapterWriterTests
{
    [Fact]
    public async Task Writes_both_files_and_leaves_no_temporaries()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lora-client-tests", Guid.NewGuid().ToString("N"), "nested");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(Directory.CreateDirectory(dir).FullName, AdapterFiles.WeightsFileName), "old");
            var files = new AdapterFiles([1, 2, 3, 4], "{\"r\": 8}");
            var result = await AdapterWriter.WriteAsync("job-1", files, dir);
            Assert.Equal([1, 2, 3, 4], await File.ReadAllBytesAsync(result.WeightsPath));
            Assert.Equal("{\"r\": 8}", await File.ReadAllTextAsync(result.ConfigPath));
            Assert.Equal(4, result.WeightsBytes);
            Assert.Equal([AdapterFiles.ConfigFileName, AdapterFiles.WeightsFileName],
                Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true);
        }
    }
}
