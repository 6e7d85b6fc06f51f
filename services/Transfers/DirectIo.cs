using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Platform.Transfers;

/// <summary>
/// Direct I/O on Linux (<c>O_DIRECT</c>): a large transfer's file reads and writes go between the disk and a few reused
/// buffers of ours, never through the page cache. Moving a GB through the page cache fills a GB of pages the process
/// has not touched before, and on a VM whose free memory goes back to the host that first touch is the most expensive
/// part of a transfer (measured: 1-2 CPU s per GB in the kernel's copy alone, more than SHA-256; docs/registry.md,
/// "Direct I/O"). Object stores such as MinIO write and read large objects the same way.
/// <para>
/// <c>O_DIRECT</c> asks that the buffer's address, the file offset and the length be multiples of the device's block:
/// <see cref="AlignedBuffer"/> gives 4 KiB-aligned 4 MiB buffers, and callers keep offsets at multiples of
/// <see cref="Alignment"/> and turn the flag off (<see cref="TrySet"/>) for a file's short last piece.
/// </para>
/// </summary>
public static class DirectIo
{
    /// <summary>Alignment of buffers, offsets and lengths for direct I/O: 4 KiB covers every common block size.</summary>
    public const int Alignment = 4096;

    // O_DIRECT's value differs between architectures; 0 where it is not known here (no direct I/O then).
    private static readonly int DirectFlag = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => 0,
    };

    private const int GetStatusFlags = 3, SetStatusFlags = 4; // F_GETFL, F_SETFL

    /// <summary>
    /// Turns direct I/O on or off for an open file. False when it cannot be on: not Linux, or a file system without
    /// direct I/O (the kernel refuses the flag); the handle then keeps working through the page cache.
    /// </summary>
    public static bool TrySet(SafeFileHandle handle, bool on)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!OperatingSystem.IsLinux() || DirectFlag == 0) return false;
        var flags = Fcntl(handle, GetStatusFlags, 0);
        if (flags < 0) return false;
        var wanted = on ? flags | DirectFlag : flags & ~DirectFlag;
        return wanted == flags || Fcntl(handle, SetStatusFlags, wanted) == 0;
    }

    /// <summary>Whether <paramref name="value"/> (an offset or a length) is a multiple of <see cref="Alignment"/>.</summary>
    public static bool IsAligned(long value) => value % Alignment == 0;

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(SafeFileHandle fd, int command, int argument);
}

/// <summary>
/// A <see cref="Bytes"/> buffer whose address is a multiple of <see cref="DirectIo.Alignment"/>, as direct I/O needs.
/// Pinned for good and pooled: buffers are reused rather than allocated per transfer, so their pages stay the
/// process's own.
/// </summary>
public sealed class AlignedBuffer
{
    /// <summary>
    /// Size of every buffer, the piece a transfer reads, hashes and writes at once: 4 MiB. Measured on 1 GB transfers
    /// (docs/registry.md, "Direct I/O"), 1 MiB pieces cost about 15% more CPU per GB on each side (four times the
    /// system calls and disk requests); larger ones only cost memory: a transfer holds at most four.
    /// </summary>
    public const int Bytes = 4 * 1024 * 1024;

    private const int MaxPooled = 8;
    private static readonly ConcurrentQueue<AlignedBuffer> Pool = new();

    private readonly byte[] _array;
    private readonly int _start;

    private AlignedBuffer()
    {
        // The pinned object heap never moves an array, so its address, and the aligned start within it, stay valid.
        _array = GC.AllocateUninitializedArray<byte>(Bytes + DirectIo.Alignment, pinned: true);
        var address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0);
        _start = (int)((DirectIo.Alignment - address % DirectIo.Alignment) % DirectIo.Alignment);
    }

    /// <summary>The buffer: <see cref="Bytes"/> long, aligned.</summary>
    public Memory<byte> Memory => _array.AsMemory(_start, Bytes);

    /// <summary>A buffer from the pool, or a new one.</summary>
    public static AlignedBuffer Rent() => Pool.TryDequeue(out var buffer) ? buffer : new AlignedBuffer();

    /// <summary>Gives the buffer back; nothing may read or write it afterwards.</summary>
    public void Return()
    {
        if (Pool.Count < MaxPooled) Pool.Enqueue(this);
    }
}
