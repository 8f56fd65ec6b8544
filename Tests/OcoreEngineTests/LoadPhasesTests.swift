import Foundation
import OcoreEngine
import Testing

/// The restore's progress line counts what a plain dump has loaded from the text going by.
@Suite("Load progress of a plain dump")
struct LoadPhasesTests {
    static let dump = """
        CREATE TABLE public.a (x integer);
        COPY public.a (x) FROM stdin;
        1
        \\.

        COPY public.b (y) FROM stdin;
        \\.

        CREATE INDEX a_x ON public.a (x);
        CREATE UNIQUE INDEX b_y ON public.b (y);
        ALTER TABLE ONLY public.a ADD CONSTRAINT a_pkey PRIMARY KEY (x);

        """

    @Test("tables, indexes and constraints are counted once each, wherever the chunks split the text")
    func countsOnceWhateverTheChunks() {
        let bytes = Data(Self.dump.utf8)
        for split in 0...bytes.count {
            for size in [1, 3, 7, bytes.count] {
                let phases = LoadPhases()
                phases.scan(bytes.prefix(split))
                var at = split
                while at < bytes.count {
                    phases.scan(bytes.subdata(in: at..<min(bytes.count, at + size)))
                    at += size
                }
                #expect(phases.tables == 2 && phases.indexes == 2 && phases.constraints == 1, "split \(split), chunks of \(size)")
            }
        }
    }
}
