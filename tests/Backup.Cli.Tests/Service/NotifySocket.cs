using System.Net.Sockets;
using System.Text;

namespace Backup.Cli.Tests.Service;

/// <summary>
/// What systemd's manager does for a <c>Type=notify</c> service: a Unix datagram socket bound at <see cref="Path"/>
/// (give it as <c>$NOTIFY_SOCKET</c>) that collects every datagram the service sends, each a block of KEY=VALUE lines.
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly List<string> _messages = [];
    private readonly Thread _reader;

    public NotifySocket(string path)
    {
        Path = path;
        _socket.Bind(new UnixDomainSocketEndPoint(path));
        _reader = new Thread(Read) { IsBackground = true, Name = "notify socket" };
        _reader.Start();
    }

    public string Path { get; }

    /// <summary>The datagrams received so far, in order.</summary>
    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>Every KEY=VALUE line received so far, in order.</summary>
    public IReadOnlyList<string> Lines => [.. Messages.SelectMany(m => m.Split('\n', StringSplitOptions.RemoveEmptyEntries))];

    /// <summary>The index of the first line at or after <paramref name="from"/> for which <paramref name="match"/> holds, or -1.</summary>
    public int IndexOf(Func<string, bool> match, int from = 0)
    {
        var lines = Lines;
        for (var i = from; i < lines.Count; i++)
        {
            if (match(lines[i]))
            {
                return i;
            }
        }
        return -1;
    }

    public override string ToString() => "--- notifications\n" + string.Join("\n", Lines);

    private void Read()
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int read;
            try
            {
                read = _socket.Receive(buffer);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (_messages)
            {
                _messages.Add(Encoding.UTF8.GetString(buffer, 0, read));
            }
        }
    }

    public void Dispose()
    {
        _socket.Shutdown(SocketShutdown.Both);
        _socket.Dispose();
        _reader.Join(TimeSpan.FromSeconds(5));
    }
}
