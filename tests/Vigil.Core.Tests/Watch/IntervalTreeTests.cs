using System.Text;
using Google.Protobuf;
using Vigil.Core.Mvcc;
using Vigil.Core.Watch;

namespace Vigil.Core.Tests.Watch;

public sealed class IntervalTreeTests
{
    [Fact]
    public void Add_and_remove_reject_single_key_empty_and_default_ranges()
    {
        var tree = new IntervalTree<int>();
        var invalid = new[]
        {
            KeyRange.Single(S("a")),
            KeyRange.FromRequest(S("b"), S("a")),
            KeyRange.FromRequest(S("a"), S("a")),
            default,
        };

        foreach (var range in invalid)
        {
            Assert.Throws<ArgumentException>(() => tree.Add(range, 1));
            Assert.Throws<ArgumentException>(() => tree.Remove(range, 1));
        }

        Assert.Throws<ArgumentException>(() => tree.Intersects(default));
        Assert.Throws<ArgumentException>(() => tree.Intersecting(default, new List<int>()));
        Assert.Equal(0, tree.Count);
        Assert.Equal(0, tree.IntervalCount);
        tree.Validate();
    }

    [Fact]
    public void Unbounded_range_contains_every_key_from_its_start()
    {
        var tree = new IntervalTree<string>();
        tree.Add(KeyRange.From(S("m")), "from-m");
        tree.Add(KeyRange.From(ByteString.Empty), "everything");
        tree.Validate();

        Assert.Equal(["everything"], StabSorted(tree, B()));
        Assert.Equal(["everything"], StabSorted(tree, Encoding.UTF8.GetBytes("l\xff")));
        Assert.Equal(["everything", "from-m"], StabSorted(tree, Encoding.UTF8.GetBytes("m")));
        Assert.Equal(["everything", "from-m"], StabSorted(tree, B(0xFF, 0xFF, 0xFF, 0xFF)));
        Assert.True(tree.Covers(B()));
        Assert.True(tree.Intersects(KeyRange.FromRequest(S("x"), S("y"))));
    }

    [Fact]
    public void Adjacent_intervals_key_at_the_shared_boundary_belongs_to_the_second_only()
    {
        var tree = new IntervalTree<string>();
        tree.Add(Range("a", "b"), "ab");
        tree.Add(Range("b", "c"), "bc");
        tree.Validate();

        Assert.Equal(["ab"], StabSorted(tree, Encoding.ASCII.GetBytes("a")));
        Assert.Equal(["ab"], StabSorted(tree, B(0x61, 0xFF, 0xFF)));
        Assert.Equal(["bc"], StabSorted(tree, Encoding.ASCII.GetBytes("b")));
        Assert.Empty(StabSorted(tree, Encoding.ASCII.GetBytes("c")));
        Assert.False(tree.Covers(Encoding.ASCII.GetBytes("c")));

        // A query range ending at b does not reach [b, c); one starting at b does not reach [a, b).
        Assert.Equal(["ab"], IntersectingSorted(tree, Range("0", "b")));
        Assert.Equal(["bc"], IntersectingSorted(tree, Range("b", "z")));
        Assert.Equal(["ab", "bc"], IntersectingSorted(tree, KeyRange.FromRequest(S("a"), Bs(0x62, 0x00))));
        Assert.False(tree.Intersects(Range("c", "d")));
    }

    [Fact]
    public void Many_values_on_one_interval_share_a_node_and_keep_insertion_order()
    {
        var tree = new IntervalTree<int>();
        var prefix = KeyRange.Prefix(S("/registry/pods/"));
        for (var i = 0; i < 1000; i++)
        {
            tree.Add(prefix, i);
        }

        tree.Validate();
        Assert.Equal(1000, tree.Count);
        Assert.Equal(1, tree.IntervalCount);
        Assert.Equal(1, tree.Height);

        var found = new List<int>();
        tree.Stab(Encoding.ASCII.GetBytes("/registry/pods/default/web-0"), found);
        Assert.Equal(Enumerable.Range(0, 1000), found);

        for (var i = 0; i < 1000; i += 2)
        {
            Assert.True(tree.Remove(prefix, i));
        }

        tree.Validate();
        found.Clear();
        tree.Stab(Encoding.ASCII.GetBytes("/registry/pods/x"), found);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (2 * i) + 1), found);

        for (var i = 1; i < 1000; i += 2)
        {
            Assert.True(tree.Remove(prefix, i));
        }

        tree.Validate();
        Assert.Equal(0, tree.Count);
        Assert.Equal(0, tree.IntervalCount);
        Assert.Equal(0, tree.Height);
        Assert.False(tree.Covers(Encoding.ASCII.GetBytes("/registry/pods/x")));
    }

    [Fact]
    public void The_same_value_added_twice_is_found_twice_and_removed_once_per_call()
    {
        var tree = new IntervalTree<string>();
        var range = Range("a", "c");
        tree.Add(range, "w");
        tree.Add(range, "w");

        Assert.Equal(["w", "w"], StabSorted(tree, Encoding.ASCII.GetBytes("b")));
        Assert.True(tree.Remove(range, "w"));
        Assert.Equal(["w"], StabSorted(tree, Encoding.ASCII.GetBytes("b")));
        Assert.True(tree.Remove(range, "w"));
        Assert.False(tree.Remove(range, "w"));
        Assert.Equal(0, tree.IntervalCount);
        tree.Validate();
    }

    [Fact]
    public void Removing_absent_values_or_intervals_returns_false_and_changes_nothing()
    {
        var tree = new IntervalTree<int>();
        Assert.False(tree.Remove(Range("a", "b"), 1));

        tree.Add(Range("a", "c"), 1);
        tree.Add(KeyRange.From(S("a")), 2);
        tree.Add(KeyRange.From(ByteString.Empty), 3);

        Assert.False(tree.Remove(Range("a", "c"), 2)); // interval present, value not
        Assert.False(tree.Remove(Range("a", "b"), 1)); // same start, other end
        Assert.False(tree.Remove(Range("0", "c"), 1)); // same end, other start
        Assert.False(tree.Remove(KeyRange.From(S("b")), 2)); // unbounded, other start
        Assert.False(tree.Remove(KeyRange.FromRequest(ByteString.Empty, Bs(0x00, 0x00)), 3)); // bounded look-alike of "\0"

        tree.Validate();
        Assert.Equal(3, tree.Count);
        Assert.Equal(3, tree.IntervalCount);
        Assert.Equal([1, 2, 3], StabSorted(tree, Encoding.ASCII.GetBytes("b")));
    }

    [Fact]
    public void Keys_with_zero_and_ff_bytes_follow_etcd_range_rules()
    {
        var tree = new IntervalTree<string>();
        tree.Add(KeyRange.Prefix(Bs(0x00)), "p00"); // [00, 01)
        tree.Add(KeyRange.Prefix(Bs(0xFF)), "pFF"); // every key from FF on
        tree.Add(KeyRange.Prefix(Bs(0x61, 0xFF)), "pA-FF"); // [61 FF, 62)
        tree.Add(KeyRange.FromRequest(S("q"), Bs(0x00)), "q-inf"); // end "\0" means unbounded
        tree.Add(KeyRange.FromRequest(ByteString.Empty, Bs(0x00, 0x00)), "below-0000"); // bounded: "" and 00 only
        tree.Validate();

        Assert.Equal(["below-0000"], StabSorted(tree, B()));
        Assert.Equal(["below-0000", "p00"], StabSorted(tree, B(0x00)));
        Assert.Equal(["p00"], StabSorted(tree, B(0x00, 0x00)));
        Assert.Equal(["p00"], StabSorted(tree, B(0x00, 0xFF, 0xFF)));
        Assert.Empty(StabSorted(tree, B(0x01)));
        Assert.Equal(["pA-FF"], StabSorted(tree, B(0x61, 0xFF)));
        Assert.Equal(["pA-FF"], StabSorted(tree, B(0x61, 0xFF, 0x00)));
        Assert.Empty(StabSorted(tree, B(0x61, 0xFE, 0xFF)));
        Assert.Empty(StabSorted(tree, B(0x62)));
        Assert.Equal(["q-inf"], StabSorted(tree, Encoding.ASCII.GetBytes("zzz")));
        Assert.Equal(["q-inf"], StabSorted(tree, B(0xFE, 0xFF)));
        Assert.Equal(["pFF", "q-inf"], StabSorted(tree, B(0xFF)));
        Assert.Equal(["pFF", "q-inf"], StabSorted(tree, B(0xFF, 0xFF, 0x00)));

        Assert.True(tree.Remove(KeyRange.From(Bs(0xFF)), "pFF")); // Prefix(FF) is From(FF)
        Assert.Equal(["q-inf"], StabSorted(tree, B(0xFF)));
        tree.Validate();
    }

    [Fact]
    public void Keys_order_bytewise_not_by_string_or_signed_byte_order()
    {
        var tree = new IntervalTree<string>();

        // Culture order puts "a" before "B"; bytes put 'B' (0x42) before 'a' (0x61).
        tree.Add(Range("B", "a"), "B..a");

        // U+FF21 sorts after the surrogate pair of U+1F600 in UTF-16, before it in UTF-8.
        tree.Add(KeyRange.FromRequest(S("\uFF21"), S("\U0001F600")), "FF21..1F600");

        // Signed bytes would put 0x80 below 0x7F.
        tree.Add(KeyRange.FromRequest(Bs(0x7F), Bs(0x80)), "7F..80");
        tree.Validate();

        Assert.Equal(["B..a"], StabSorted(tree, Encoding.UTF8.GetBytes("Z")));
        Assert.Equal(["B..a"], StabSorted(tree, Encoding.UTF8.GetBytes("_")));
        Assert.Empty(StabSorted(tree, Encoding.UTF8.GetBytes("b")));
        Assert.Empty(StabSorted(tree, Encoding.UTF8.GetBytes("A")));

        Assert.Equal(["FF21..1F600"], StabSorted(tree, Encoding.UTF8.GetBytes("\uFF5A")));
        Assert.Empty(StabSorted(tree, Encoding.UTF8.GetBytes("\U0001F601")));

        Assert.Equal(["7F..80"], StabSorted(tree, B(0x7F, 0xFF)));
        Assert.Empty(StabSorted(tree, B(0x80)));
        Assert.Empty(StabSorted(tree, B(0x10)));
    }

    [Fact]
    public void A_comparer_passed_in_decides_which_value_is_removed()
    {
        var tree = new IntervalTree<string>(StringComparer.OrdinalIgnoreCase);
        var range = Range("a", "z");
        tree.Add(range, "Watcher-1");
        tree.Add(range, "watcher-2");

        Assert.True(tree.Remove(range, "WATCHER-1"));
        Assert.False(tree.Remove(range, "watcher-1"));
        Assert.Equal(["watcher-2"], StabSorted(tree, Encoding.ASCII.GetBytes("m")));
        tree.Validate();
    }

    [Fact]
    public void Intersecting_treats_single_key_ranges_as_points_and_empty_ranges_as_nothing()
    {
        var tree = new IntervalTree<string>();
        tree.Add(Range("b", "d"), "bd");
        tree.Add(KeyRange.From(S("x")), "x-inf");

        Assert.Equal(["bd"], IntersectingSorted(tree, KeyRange.Single(S("c"))));
        Assert.Empty(IntersectingSorted(tree, KeyRange.Single(S("d"))));
        Assert.True(tree.Intersects(KeyRange.Single(S("b"))));
        Assert.False(tree.Intersects(KeyRange.Single(S("e"))));

        Assert.Empty(IntersectingSorted(tree, KeyRange.FromRequest(S("c"), S("c"))));
        Assert.False(tree.Intersects(KeyRange.FromRequest(S("c"), S("b"))));

        Assert.Equal(["bd", "x-inf"], IntersectingSorted(tree, KeyRange.From(S("c"))));
        Assert.Equal(["x-inf"], IntersectingSorted(tree, KeyRange.From(S("d"))));
        Assert.Equal(["x-inf"], IntersectingSorted(tree, KeyRange.FromRequest(S("w"), S("x\0"))));
        Assert.Empty(IntersectingSorted(tree, Range("d", "x")));
        Assert.False(tree.Intersects(Range("d", "x")));
        Assert.True(tree.Intersects(Range("a", "b\0")));
    }

    [Fact]
    public void Sorted_inserts_and_removals_keep_the_tree_balanced()
    {
        const int n = 2048;
        var tree = new IntervalTree<int>();
        var ranges = Enumerable.Range(0, n)
            .Select(i => KeyRange.FromRequest(BigEndian(i), BigEndian(i + 3)))
            .ToArray();

        for (var i = 0; i < n; i++)
        {
            tree.Add(ranges[i], i);
        }

        tree.Validate();
        Assert.Equal(n, tree.IntervalCount);
        Assert.True(tree.Height <= MaxAvlHeight(n), $"height {tree.Height} for {n} intervals");

        // Each key lies in the three intervals starting at or up to two before it.
        var found = new List<int>();
        tree.Stab(BigEndian(1000).Span, found);
        Assert.Equal([998, 999, 1000], found.Order());

        for (var i = 0; i < n; i++)
        {
            Assert.True(tree.Remove(ranges[i], i));
            if (i % 97 == 0)
            {
                tree.Validate();
                Assert.True(tree.Height <= MaxAvlHeight(n - i - 1), $"height {tree.Height} for {n - i - 1} intervals");
            }
        }

        tree.Validate();
        Assert.Equal(0, tree.Count);
    }

    [Fact]
    public void Visitors_see_every_match_including_ref_struct_visitors()
    {
        var tree = new IntervalTree<int>();
        tree.Add(Range("a", "m"), 1);
        tree.Add(Range("c", "e"), 2);
        tree.Add(KeyRange.From(S("d")), 4);
        tree.Add(Range("f", "g"), 8);

        var sum = new SumVisitor();
        tree.Stab(Encoding.ASCII.GetBytes("d"), ref sum);
        Assert.Equal(7, sum.Total);
        Assert.Equal(3, sum.Seen);

        Span<int> seen = stackalloc int[4];
        var spanVisitor = new SpanVisitor(seen);
        tree.Intersecting(Range("e", "f\0"), ref spanVisitor);
        Assert.Equal([1, 4, 8], seen[..spanVisitor.Count].ToArray().Order());
    }

    [Fact]
    public void Mutating_the_tree_from_a_visitor_throws()
    {
        var tree = new IntervalTree<int>();
        var range = Range("a", "z");
        tree.Add(range, 1);
        tree.Add(range, 2);
        tree.Add(Range("b", "c"), 3);

        var mutator = new MutatingVisitor(tree, range);
        Assert.Throws<InvalidOperationException>(() => tree.Stab(Encoding.ASCII.GetBytes("b"), ref mutator));
    }

    [Fact]
    public void Queries_allocate_nothing_beyond_the_callers_list()
    {
        var tree = new IntervalTree<int>();
        var random = new Random(7);
        for (var i = 0; i < 500; i++)
        {
            tree.Add(RandomRange(random), i);
        }

        var key = Encoding.ASCII.GetBytes("b");
        var query = KeyRange.FromRequest(S("a"), S("c"));
        var point = KeyRange.Single(S("b"));
        var results = new List<int>(tree.Count);
        var sum = new SumVisitor();

        // Twice: the first round settles JIT and static initialisation.
        long allocated = 0;
        for (var round = 0; round < 2; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                results.Clear();
                tree.Stab(key, results);
                tree.Stab(key, ref sum);
                tree.Intersecting(query, results);
                tree.Intersecting(point, ref sum);
                _ = tree.Intersects(query);
                _ = tree.Covers(key);
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.True(results.Count > 0, "the query should match something");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Clear_empties_the_tree_and_it_stays_usable()
    {
        var tree = new IntervalTree<int>();
        tree.Add(Range("a", "b"), 1);
        tree.Add(KeyRange.From(S("c")), 2);
        tree.Clear();
        tree.Validate();
        Assert.Equal(0, tree.Count);
        Assert.Equal(0, tree.IntervalCount);
        Assert.False(tree.Covers(Encoding.ASCII.GetBytes("d")));

        tree.Add(Range("a", "b"), 3);
        Assert.Equal([3], StabSorted(tree, Encoding.ASCII.GetBytes("a")));
        tree.Validate();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(20240601)]
    [InlineData(987654321)]
    public void Random_operations_match_a_brute_force_scan(int seed) =>
        RunAgainstBruteForce(seed, steps: 4000, addWeight: 30);

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(424242)]
    public void Random_operations_on_a_growing_tree_match_a_brute_force_scan(int seed) =>
        RunAgainstBruteForce(seed, steps: 3000, addWeight: 55);

    /// <summary>
    /// Random adds and removes (out of 100: addWeight adds, 30 removals of a present pair, 15
    /// removals of a random maybe-absent pair, the rest query only; a rare Clear), each followed
    /// by Validate and, at every step, by stabbing and intersection queries compared with a
    /// plain list scan.
    /// </summary>
    private static void RunAgainstBruteForce(int seed, int steps, int addWeight)
    {
        var random = new Random(seed);
        var tree = new IntervalTree<int>();
        var model = new List<(KeyRange Range, int Value)>();
        var lastOperation = "none";
        var step = 0;

        try
        {
            for (step = 0; step < steps; step++)
            {
                var roll = random.Next(100);
                var mutated = true;
                if (random.Next(1500) == 0)
                {
                    lastOperation = "Clear";
                    tree.Clear();
                    model.Clear();
                }
                else if (roll < addWeight)
                {
                    // Often reuse an interval already present, so nodes collect several values.
                    var range = model.Count > 0 && random.Next(3) == 0
                        ? model[random.Next(model.Count)].Range
                        : RandomRange(random);
                    var value = random.Next(12);
                    lastOperation = $"Add {Hex(range)} = {value}";
                    tree.Add(range, value);
                    model.Add((range, value));
                }
                else if (roll < addWeight + 30 && model.Count > 0)
                {
                    var index = random.Next(model.Count);
                    var (range, value) = model[index];
                    lastOperation = $"Remove present {Hex(range)} = {value}";
                    Assert.True(tree.Remove(range, value));
                    model.RemoveAt(index);
                }
                else if (roll < addWeight + 45)
                {
                    var range = model.Count > 0 && random.Next(2) == 0
                        ? model[random.Next(model.Count)].Range
                        : RandomRange(random);
                    var value = random.Next(12);
                    lastOperation = $"Remove maybe-absent {Hex(range)} = {value}";
                    var index = model.IndexOf((range, value));
                    Assert.Equal(index >= 0, tree.Remove(range, value));
                    if (index >= 0)
                    {
                        model.RemoveAt(index);
                    }
                }
                else
                {
                    mutated = false;
                }

                if (mutated)
                {
                    tree.Validate();
                    Assert.Equal(model.Count, tree.Count);
                    Assert.Equal(model.Select(entry => entry.Range).Distinct().Count(), tree.IntervalCount);
                }

                CheckQueries(random, tree, model);
            }
        }
        catch (Exception exception) when (exception is not SeedFailure)
        {
            throw new SeedFailure(
                $"seed {seed}, step {step}, last operation {lastOperation}, {model.Count} values: {exception.Message}",
                exception);
        }
    }

    private static void CheckQueries(Random random, IntervalTree<int> tree, List<(KeyRange Range, int Value)> model)
    {
        var actual = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            // Boundaries of stored intervals are where mistakes hide; stab them half the time.
            var key = model.Count > 0 && random.Next(2) == 0
                ? Boundary(model[random.Next(model.Count)].Range, random)
                : RandomKey(random);

            var expected = model.Where(entry => entry.Range.Contains(key)).Select(entry => entry.Value).Order().ToList();
            actual.Clear();
            tree.Stab(key, actual);
            actual.Sort();
            Assert.True(expected.SequenceEqual(actual),
                $"Stab {Convert.ToHexString(key)}: expected [{string.Join(",", expected)}], got [{string.Join(",", actual)}]");
            Assert.True((expected.Count > 0) == tree.Covers(key), $"Covers {Convert.ToHexString(key)}");
        }

        for (var i = 0; i < 2; i++)
        {
            var query = RandomQuery(random);
            var expected = model.Where(entry => entry.Range.Overlaps(query)).Select(entry => entry.Value).Order().ToList();
            actual.Clear();
            tree.Intersecting(query, actual);
            actual.Sort();
            Assert.True(expected.SequenceEqual(actual),
                $"Intersecting {Hex(query)}: expected [{string.Join(",", expected)}], got [{string.Join(",", actual)}]");
            Assert.True((expected.Count > 0) == tree.Intersects(query), $"Intersects {Hex(query)}");
        }
    }

    private static readonly byte[] Alphabet = [0x00, 0x01, 0x61, 0x62, 0x7F, 0x80, 0xFE, 0xFF];

    private static byte[] RandomKey(Random random)
    {
        var key = new byte[random.Next(4)];
        for (var i = 0; i < key.Length; i++)
        {
            key[i] = Alphabet[random.Next(Alphabet.Length)];
        }

        return key;
    }

    /// <summary>A range the tree accepts: a prefix, an unbounded tail or [a, b) with a &lt; b.</summary>
    private static KeyRange RandomRange(Random random)
    {
        while (true)
        {
            var kind = random.Next(10);
            if (kind < 3)
            {
                return KeyRange.Prefix(ByteString.CopyFrom(RandomKey(random)));
            }

            if (kind < 4)
            {
                return KeyRange.From(ByteString.CopyFrom(RandomKey(random)));
            }

            var a = RandomKey(random);
            var b = RandomKey(random);
            var order = KeyRange.Compare(a, b);
            if (order != 0)
            {
                return order < 0
                    ? KeyRange.FromRequest(ByteString.CopyFrom(a), ByteString.CopyFrom(b))
                    : KeyRange.FromRequest(ByteString.CopyFrom(b), ByteString.CopyFrom(a));
            }
        }
    }

    /// <summary>Any query range, including single keys and empty ranges.</summary>
    private static KeyRange RandomQuery(Random random) =>
        random.Next(10) switch
        {
            0 => KeyRange.Single(ByteString.CopyFrom(RandomKey(random))),
            1 => KeyRange.FromRequest(ByteString.CopyFrom(RandomKey(random)), ByteString.CopyFrom(RandomKey(random))),
            _ => RandomRange(random),
        };

    /// <summary>A stored interval's start or end, or a key just beside one of them.</summary>
    private static byte[] Boundary(KeyRange range, Random random)
    {
        var edge = random.Next(2) == 0 || range.IsUnbounded ? range.Key.ToByteArray() : range.End.ToByteArray();
        return random.Next(3) switch
        {
            0 => edge,
            1 => [.. edge, Alphabet[random.Next(Alphabet.Length)]],
            _ => edge.Length > 0 ? edge[..^1] : edge,
        };
    }

    private static int MaxAvlHeight(int count) => (int)Math.Floor(1.4405 * Math.Log2(count + 2) - 0.3277);

    private static ByteString BigEndian(int value) =>
        ByteString.CopyFrom((byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value);

    private static ByteString S(string text) => ByteString.CopyFromUtf8(text);

    private static byte[] B(params byte[] bytes) => bytes;

    private static ByteString Bs(params byte[] bytes) => ByteString.CopyFrom(bytes);

    private static KeyRange Range(string start, string end) => KeyRange.FromRequest(S(start), S(end));

    private static string Hex(KeyRange range) =>
        range.IsSingleKey ? $"[{Convert.ToHexString(range.Key.Span)}]"
        : range.IsUnbounded ? $"[{Convert.ToHexString(range.Key.Span)}, +inf)"
        : $"[{Convert.ToHexString(range.Key.Span)}, {Convert.ToHexString(range.End.Span)})";

    private static List<T> StabSorted<T>(IntervalTree<T> tree, ReadOnlySpan<byte> key)
    {
        var results = new List<T>();
        tree.Stab(key, results);
        results.Sort();
        return results;
    }

    private static List<T> IntersectingSorted<T>(IntervalTree<T> tree, KeyRange range)
    {
        var results = new List<T>();
        tree.Intersecting(range, results);
        results.Sort();
        return results;
    }

    private sealed class SeedFailure(string message, Exception inner) : Exception(message, inner);

    private struct SumVisitor : IIntervalVisitor<int>
    {
        public int Total;
        public int Seen;

        public void Visit(int value)
        {
            Total += value;
            Seen++;
        }
    }

    private ref struct SpanVisitor(Span<int> target) : IIntervalVisitor<int>
    {
        private readonly Span<int> _target = target;

        public int Count { get; private set; }

        public void Visit(int value) => _target[Count++] = value;
    }

    private readonly struct MutatingVisitor(IntervalTree<int> tree, KeyRange range) : IIntervalVisitor<int>
    {
        public void Visit(int value) => tree.Remove(range, value);
    }
}
