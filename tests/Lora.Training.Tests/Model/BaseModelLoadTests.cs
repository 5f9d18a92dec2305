using Lora.Training.Model;
using Lora.Training.Runtime;
using Lora.Training.Tests.Checkpoints;
using TorchSharp;

namespace Lora.Training.Tests.Model;

public sealed class BaseModelLoadTests
{
    public BaseModelLoadTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void A_model_directory_without_its_weights_fails_to_load_and_leaves_no_tensor_behind()
    {
        using var dir = new TempDirectory();
        using (var model = Tiny.Model()) BaseModel.Save(dir.Path, model);
        File.Delete(dir.File("model.safetensors"));

        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Throws<FileNotFoundException>(() => BaseModel.Load(dir.Path));
        var leaked = DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        Assert.True(leaked == 0, $"{leaked} native tensors left alive by a failed load");
    }
}
