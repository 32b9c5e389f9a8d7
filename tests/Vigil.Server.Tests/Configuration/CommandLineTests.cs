using Vigil.Server.Configuration;

namespace Vigil.Server.Tests.Configuration;

public class CommandLineTests
{
    [Fact]
    public void FlagsWithSeparateAndInlineValuesMapToConfigurationKeys()
    {
        var values = CommandLine.Parse(["--listen-client-urls", "http://127.0.0.1:12379", "--data-dir=/tmp/v", "--name", "n1"]);
        Assert.Equal("http://127.0.0.1:12379", values["Vigil:ListenClientUrls"]);
        Assert.Equal("/tmp/v", values["Vigil:DataDir"]);
        Assert.Equal("n1", values["Vigil:Name"]);
    }

    [Fact]
    public void SingleDashFlagsWorkAsInEtcd()
    {
        var values = CommandLine.Parse(["-max-request-bytes=1024"]);
        Assert.Equal("1024", values["Vigil:MaxRequestBytes"]);
    }

    [Fact]
    public void ConnectionStringWithEqualsSignsKeepsItsValue()
    {
        var values = CommandLine.Parse(["--store=Host=127.0.0.1;Port=5432;Database=vigil"]);
        Assert.Equal("Host=127.0.0.1;Port=5432;Database=vigil", values["Vigil:Store"]);
    }

    [Fact]
    public void UnknownFlagIsAnError()
    {
        var error = Assert.Throws<OptionsException>(() => CommandLine.Parse(["--listen-client-url", "http://127.0.0.1:2379"]));
        Assert.Contains("unknown flag", error.Message);
    }

    [Fact]
    public void FlagWithoutValueIsAnError()
    {
        var error = Assert.Throws<OptionsException>(() => CommandLine.Parse(["--data-dir"]));
        Assert.Contains("--data-dir", error.Message);
    }

    [Theory]
    [InlineData("127.0.0.1:2379")]
    [InlineData("ftp://127.0.0.1:2379")]
    [InlineData("")]
    public void BadClientUrlsAreRejected(string urls)
    {
        var options = new VigilOptions { ListenClientUrls = urls };
        Assert.Throws<OptionsException>(options.Validate);
    }

    [Fact]
    public void AdvertiseUrlsDefaultToListenUrls()
    {
        var options = new VigilOptions { ListenClientUrls = "http://127.0.0.1:1,http://127.0.0.1:2" };
        Assert.Equal(options.GetListenClientUrls(), options.GetAdvertiseClientUrls());
        Assert.Equal(2, options.GetAdvertiseClientUrls().Count);
    }
}
