using Vigil.Silo.Configuration;

namespace Vigil.Silo.Tests.Configuration;

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

public class GoDurationTests
{
    [Theory]
    [InlineData("100ms", 100)]
    [InlineData("10m", 600_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5s", 1500)]
    [InlineData("2s500ms", 2500)]
    [InlineData("0", 0)]
    public void ParsesDurationsTheWayEtcdFlagsTakeThem(string text, long milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), GoDuration.Parse(text, "--x"));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("ms")]
    [InlineData("10 minutes")]
    [InlineData("")]
    [InlineData("1d")]
    public void RejectsWhatGoRejects(string text)
    {
        Assert.False(GoDuration.TryParse(text, out _));
    }

    [Fact]
    public void ProgressIntervalHasEtcdsMinimum()
    {
        Assert.Throws<OptionsException>(new VigilOptions { WatchProgressNotifyInterval = "10ms" }.Validate);
        Assert.Equal(TimeSpan.FromMinutes(10), new VigilOptions().GetWatchProgressNotifyInterval());
    }
}

public class AutoCompactionOptionTests
{
    private static Core.Compaction.AutoCompactionOptions Parse(string mode, string retention)
    {
        var target = new Core.Compaction.AutoCompactionOptions();
        new VigilOptions { AutoCompactionMode = mode, AutoCompactionRetention = retention }.ConfigureAutoCompaction(target);
        return target;
    }

    [Fact]
    public void PeriodicTakesDurationsOrHoursAsEtcdDoes()
    {
        Assert.Equal(TimeSpan.FromMinutes(30), Parse("periodic", "30m").Period);
        Assert.Equal(TimeSpan.FromHours(2), Parse("periodic", "2").Period);
        Assert.False(Parse("periodic", "0").Enabled);
    }

    [Fact]
    public void RevisionTakesACountOfRevisions()
    {
        var options = Parse("revision", "1000");
        Assert.Equal((Core.Compaction.AutoCompactionMode.Revision, 1000L), (options.Mode, options.Revisions));
        Assert.True(options.Enabled);
        Assert.Throws<OptionsException>(() => Parse("revision", "1h"));
    }

    [Fact]
    public void UnknownModesAreRejected()
    {
        Assert.Throws<OptionsException>(() => Parse("hourly", "1"));
        Assert.Throws<OptionsException>(() => CommandLine.Parse(["--auto-compaction-modes", "revision"]));
    }
}
