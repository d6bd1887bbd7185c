/*
 * FiCompat.java -- our driver for the Fast Infoset reference implementation
 * (com.sun.xml.fastinfoset, Debian libfastinfoset-java), used by
 * tests/compat/fi-compat to check orbweb's codec against it.
 *
 *   java FiCompat [--vocab FILE]... JOBS
 *   java FiCompat --bench SECONDS DIR
 *
 * JOBS has one job per line:
 *   encode IN.xml OUT.fi     reference SAX serializer, default options
 *   infoset IN OUT.txt       canonical infoset of IN (.xml: JDK SAX parser;
 *                            anything else: reference FI SAX parser)
 * --vocab FILE registers an external vocabulary described the way
 * `orbweb fi vocab` prints it, for decoding documents that use it.
 *
 * The infoset format is the one of fi_infoset_* in fi/fi.h: lines
 * E ns local prefix / N prefix ns / A ns local prefix value / T text /
 * C text / P target data / "/"; fields escaped, empty fields as "".
 * Exit status: 0 all jobs done, 1 a job failed (message on stderr).
 *
 * --bench (for `orbweb bench fi`): parses the *.fi documents of DIR with
 * the reference SAX parser (namespaces on, empty handler, one parser
 * reused) for SECONDS after as long a warm-up (at least 2 s, for the JIT)
 * and prints "docs_s N".
 */
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import javax.xml.namespace.QName;
import javax.xml.parsers.SAXParserFactory;
import org.xml.sax.*;
import org.xml.sax.ext.LexicalHandler;
import org.xml.sax.helpers.DefaultHandler;

import com.sun.xml.fastinfoset.sax.SAXDocumentParser;
import com.sun.xml.fastinfoset.sax.SAXDocumentSerializer;
import com.sun.xml.fastinfoset.vocab.ParserVocabulary;
import org.jvnet.fastinfoset.Vocabulary;

public class FiCompat {
    static Map<String, Object> vocabs = new HashMap<>();

    /** Collects events into the canonical line format. */
    static class Dump extends DefaultHandler implements LexicalHandler {
        final StringBuilder out = new StringBuilder();
        final StringBuilder text = new StringBuilder();
        final List<String[]> ns = new ArrayList<>();
        boolean inDtd;

        static String esc(String s) {
            if (s == null || s.isEmpty()) return "\"\"";
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                case '\\': b.append("\\\\"); break;
                case ' ': b.append("\\s"); break;
                case '"': b.append("\\q"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\x%02X", (int) c));
                    else b.append(c);
                }
            }
            return b.toString();
        }

        void line(String tag, String... f) {
            out.append(tag);
            for (String s : f) out.append(' ').append(esc(s));
            out.append('\n');
        }

        void flush() {
            if (text.length() > 0) line("T", text.toString());
            text.setLength(0);
        }

        static String prefixOf(String qname) {
            int i = qname.indexOf(':');
            return i < 0 ? "" : qname.substring(0, i);
        }

        @Override public void startPrefixMapping(String p, String uri) {
            ns.add(new String[] {p == null ? "" : p, uri == null ? "" : uri});
        }

        @Override public void startElement(String uri, String local, String qn, Attributes a) {
            flush();
            line("E", uri, local, prefixOf(qn));
            ns.sort(Comparator.comparing((String[] x) -> x[0]));
            for (String[] d : ns) line("N", d[0], d[1]);
            ns.clear();
            List<String[]> at = new ArrayList<>();
            for (int i = 0; i < a.getLength(); i++) {
                String q = a.getQName(i);
                if (q.equals("xmlns") || q.startsWith("xmlns:")) continue;
                at.add(new String[] {a.getURI(i), a.getLocalName(i), prefixOf(q), a.getValue(i)});
            }
            at.sort(Comparator.comparing((String[] x) -> x[0]).thenComparing(x -> x[1]));
            for (String[] x : at) line("A", x);
        }

        @Override public void endElement(String uri, String local, String qn) {
            flush();
            out.append("/\n");
        }

        @Override public void characters(char[] ch, int s, int n) { text.append(ch, s, n); }
        @Override public void ignorableWhitespace(char[] ch, int s, int n) { text.append(ch, s, n); }

        @Override public void processingInstruction(String t, String d) {
            if (inDtd) return;
            flush();
            line("P", t, d == null ? "" : d);
        }

        @Override public void endDocument() { flush(); }
        public void comment(char[] ch, int s, int n) {
            if (inDtd) return;
            flush();
            line("C", new String(ch, s, n));
        }
        public void startDTD(String n, String p, String s) { inDtd = true; }
        public void endDTD() { inDtd = false; }
        public void startEntity(String n) {}
        public void endEntity(String n) {}
        public void startCDATA() {}
        public void endCDATA() {}
    }

    static XMLReader xmlReader() throws Exception {
        SAXParserFactory f = SAXParserFactory.newInstance();
        f.setNamespaceAware(true);
        XMLReader r = f.newSAXParser().getXMLReader();
        r.setFeature("http://xml.org/sax/features/namespace-prefixes", false);
        return r;
    }

    static String infoset(Path in) throws Exception {
        Dump d = new Dump();
        try (InputStream is = Files.newInputStream(in)) {
            if (in.toString().endsWith(".xml")) {
                XMLReader r = xmlReader();
                r.setContentHandler(d);
                r.setProperty("http://xml.org/sax/properties/lexical-handler", d);
                r.parse(new InputSource(is));
            } else {
                SAXDocumentParser p = new SAXDocumentParser();
                p.setFeature("http://xml.org/sax/features/namespaces", true);
                p.setFeature("http://xml.org/sax/features/namespace-prefixes", false);
                p.setContentHandler(d);
                p.setLexicalHandler(d);
                if (!vocabs.isEmpty()) p.setExternalVocabularies(vocabs);
                p.parse(is);
            }
        }
        return d.out.toString();
    }

    static void encode(Path in, Path out) throws Exception {
        try (InputStream is = Files.newInputStream(in);
             OutputStream os = new BufferedOutputStream(Files.newOutputStream(out))) {
            SAXDocumentSerializer s = new SAXDocumentSerializer();
            s.setOutputStream(os);
            XMLReader r = xmlReader();
            r.setContentHandler(s);
            r.setProperty("http://xml.org/sax/properties/lexical-handler", s);
            r.parse(new InputSource(is));
        }
    }

    /* "" in the listing stands for an empty string */
    static String field(String s) { return s.equals("\"\"") ? "" : s; }

    @SuppressWarnings("unchecked")
    static void loadVocab(Path file) throws IOException {
        Vocabulary v = new Vocabulary();
        String uri = null;
        for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] f = l.split(" ");
            switch (f[0]) {
            case "uri": uri = f[1]; break;
            /* a set: repeated alphabets keep their first place */
            case "alphabet": v.restrictedAlphabets.add(l.substring(l.indexOf(' ', 9) + 1)); break;
            case "prefix": v.prefixes.add(f[2]); break;
            case "ns": v.namespaceNames.add(f[2]); break;
            case "local": v.localNames.add(f[2]); break;
            case "value": v.attributeValues.add(l.substring(l.indexOf(' ', 6) + 1)); break;
            case "chunk": v.characterContentChunks.add(l.substring(l.indexOf(' ', 6) + 1)); break;
            case "element":
                v.elements.add(new QName(field(f[3]), f[4], field(f[2])));
                break;
            case "attribute":
                v.attributes.add(new QName(field(f[3]), f[4], field(f[2])));
                break;
            default: throw new IOException("vocabulary line not understood: " + l);
            }
        }
        vocabs.put(uri, new ParserVocabulary(v));
    }

    static void bench(double secs, Path dir) throws Exception {
        List<byte[]> docs = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.fi")) {
            for (Path p : ds) docs.add(Files.readAllBytes(p));
        }
        if (docs.isEmpty()) throw new IOException("no .fi documents in " + dir);
        SAXDocumentParser p = new SAXDocumentParser();
        p.setFeature("http://xml.org/sax/features/namespaces", true);
        p.setFeature("http://xml.org/sax/features/namespace-prefixes", false);
        p.setContentHandler(new DefaultHandler());
        long n = 0;
        for (int round = 0; round < 2; round++) {
            double limit = round == 0 ? Math.max(2.0, secs) : secs;
            long t0 = System.nanoTime(), t;
            n = 0;
            do {
                for (byte[] b : docs) p.parse(new ByteArrayInputStream(b));
                n += docs.size();
                t = System.nanoTime() - t0;
            } while (t < limit * 1e9);
            if (round == 1) System.out.printf("docs_s %.0f%n", n / (t / 1e9));
        }
    }

    public static void main(String[] args) throws Exception {
        int i = 0;
        if (args.length == 3 && args[0].equals("--bench")) {
            bench(Double.parseDouble(args[1]), Paths.get(args[2]));
            return;
        }
        while (args.length > i + 1 && args[i].equals("--vocab")) {
            loadVocab(Paths.get(args[i + 1]));
            i += 2;
        }
        if (i >= args.length) {
            System.err.println("usage: java FiCompat [--vocab FILE]... JOBS");
            System.exit(64);
        }
        int bad = 0;
        for (String job : Files.readAllLines(Paths.get(args[i]), StandardCharsets.UTF_8)) {
            String[] f = job.split(" ");
            if (f.length != 3) continue;
            try {
                if (f[0].equals("encode"))
                    encode(Paths.get(f[1]), Paths.get(f[2]));
                else
                    Files.write(Paths.get(f[2]), infoset(Paths.get(f[1])).getBytes(StandardCharsets.UTF_8));
            } catch (Exception e) {
                System.err.println("FiCompat: " + job + ": " + e);
                bad++;
            }
        }
        System.exit(bad == 0 ? 0 : 1);
    }
}
