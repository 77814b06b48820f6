using System.Diagnostics;
using System.Globalization;
using System.Text;
using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary>A started <c>backup</c> process whose output is collected as it comes; disposing kills it if it still runs.</summary>
internal sealed class RunningBackup : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();

    public RunningBackup(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_output, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_error, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>Sends a signal (TERM, INT) with kill(1).</summary>
    public void Signal(string name)
    {
        var kill = Shell.Run("kill", $"-{name}", Pid.ToString(CultureInfo.InvariantCulture));
        Assert.True(kill.ExitCode == 0, kill.ToString());
    }

    /// <summary>Waits for the process to end and returns its exit code; fails the test when it does not end within <paramref name="timeout"/>.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Assert.Fail($"backup (pid {Pid}) did not exit within {timeout}\n--- stdout\n{Output}\n--- stderr\n{Error}");
        }
        _process.WaitForExit(); // flushes the asynchronous output readers
        return _process.ExitCode;
    }

    public override string ToString() => $"pid {Pid}\n--- stdout\n{Output}\n--- stderr\n{Error}";

    private static void Append(StringBuilder sb, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (sb)
        {
            sb.AppendLine(line);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
    }
}
