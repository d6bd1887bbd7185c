/* fi.h -- Fast Infoset (ITU-T X.891) codec: the public interface.
 *
 * Fast Infoset is a binary encoding of the XML Information Set: names and
 * repeated strings are sent once and then referred to by table index,
 * lengths replace end tags and escaping, and binary or numeric content
 * can travel in compact built-in encodings.  This library gives you:
 *
 *   - fi_decoder: an incremental decoder.  Feed it byte chunks of any size;
 *     it keeps its state between calls and reports SAX-like events through
 *     a struct fi_handler.  Every input byte is treated as hostile: errors
 *     carry the byte offset, stick once set, and all growth is bounded by
 *     struct fi_limits.
 *   - fi_encoder: produces valid Fast Infoset from the same events (so a
 *     decoder can be wired straight into an encoder), with string and name
 *     indexing, an optional initial vocabulary, typed content (restricted
 *     alphabets, base64 algorithm) and a stream mode for XMPP.
 *   - fi_vocab: initial vocabularies, including the built-in XMPP one.
 *   - bridges to and from textual XML (fi_xml_to_fi, fi_writer_*).
 *
 * Strings handed out by the library are UTF-8, NOT NUL-terminated, and
 * valid only for the duration of the callback that receives them.
 *
 * Every function returning int returns 0 (FI_OK) on success or a negative
 * enum fi_result code; fi_strerror() turns a code into words.
 */
#ifndef FI_FI_H
#define FI_FI_H

#include <stddef.h>
#include <stdint.h>

#ifndef FI_API
#define FI_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum fi_result {
    FI_OK = 0,
    FI_MORE = 1,         /* not an error: the decoder wants more input */
    FI_ENOMEM = -1,      /* the allocator failed */
    FI_ELIMIT = -2,      /* a configured limit would be exceeded */
    FI_ESYNTAX = -3,     /* bits that X.891 does not allow here */
    FI_EINDEX = -4,      /* a table index that is zero or out of range */
    FI_EUTF8 = -5,       /* invalid UTF-8 */
    FI_EUTF16 = -6,      /* invalid UTF-16 */
    FI_ETRUNCATED = -7,  /* input ended inside an item */
    FI_EALPHABET = -8,   /* unknown restricted alphabet or bad character */
    FI_EALGORITHM = -9,  /* unknown encoding algorithm or bad data */
    FI_EVOCAB = -10,     /* unknown external vocabulary */
    FI_EABORTED = -11,   /* a callback asked to stop */
    FI_ESTATE = -12,     /* call not valid in the current state */
    FI_EINVAL = -13,     /* invalid argument */
    FI_ETRAILING = -14,  /* bytes after the end of the document */
    FI_EXML = -15,       /* the textual XML is not well-formed */
    FI_EIO = -16,        /* reading or writing a file failed */
    FI_EFRAME = -17,     /* bad stream frame header */
    FI_EDUPLICATE = -18, /* two attributes of an element with one name */
};

/* Words for a result code; never NULL. */
FI_API const char *fi_strerror(int code);

/* ---- constructors --------------------------------------------------------
 * Every constructor in this library (fi_ctx_new, fi_vocab_new,
 * fi_decoder_new, fi_encoder_new, fi_writer_new, fi_infoset_new) follows
 * one rule, the same across orbweb: `int fi_X_new(args..., fi_X **out)`
 * returns FI_OK (0) and sets *out, or returns a negative enum fi_result
 * code (FI_ENOMEM when the allocator fails, FI_ELIMIT when max_memory
 * would be exceeded) and sets *out to NULL.  Each object is freed with
 * its fi_X_free, which accepts NULL. */

/* ---- context: allocator and limits ------------------------------------ */

struct fi_allocator {
    void *(*alloc)(size_t size, void *ud);
    void *(*realloc)(void *ptr, size_t size, void *ud);
    void (*free)(void *ptr, void *ud);
    void *ud;
};

/* Zero in a field means "use the default" (shown in brackets). */
struct fi_limits {
    size_t max_depth;         /* element nesting [256] */
    size_t max_string;        /* octets of one string or item [1 MiB] */
    size_t max_table_entries; /* entries per vocabulary table [65536] */
    size_t max_memory;        /* bytes held by one decoder/encoder [32 MiB] */
    size_t max_attributes;    /* attributes + namespaces of one element [512] */
};

typedef struct fi_ctx fi_ctx;

/* A context carries an allocator (NULL: malloc) and limits (NULL:
 * defaults); decoders and encoders copy both when created, so the context
 * may be freed after them.  Returns FI_OK, or FI_ENOMEM when out of
 * memory. */
FI_API int fi_ctx_new(const struct fi_allocator *mem,
                      const struct fi_limits *limits, fi_ctx **out);
FI_API void fi_ctx_free(fi_ctx *ctx);
/* The effective limits (defaults filled in). */
FI_API void fi_ctx_limits(const fi_ctx *ctx, struct fi_limits *out);

/* ---- events ------------------------------------------------------------ */

struct fi_str {
    const char *ptr; /* UTF-8, not NUL-terminated; may be NULL when len 0 */
    size_t len;
};

struct fi_qname {
    struct fi_str prefix; /* empty: no prefix */
    struct fi_str ns;     /* empty: no namespace */
    struct fi_str local;
};

struct fi_nsdecl {
    struct fi_str prefix; /* empty: default namespace */
    struct fi_str ns;     /* empty: undeclaration (xmlns="") */
};

struct fi_attr {
    struct fi_qname name;
    struct fi_str value;
};

/* Callbacks: each returns 0 to continue or non-zero to stop the decoder
 * (the feed then returns FI_EABORTED, sticky).  Any may be NULL.  A
 * callback must not call back into the decoder that called it, except
 * fi_decoder_offset(). */
struct fi_handler {
    int (*start_document)(void *ud);
    int (*end_document)(void *ud);
    int (*start_element)(void *ud, const struct fi_qname *name,
                         const struct fi_nsdecl *ns, size_t nns,
                         const struct fi_attr *attrs, size_t nattrs);
    int (*end_element)(void *ud, const struct fi_qname *name);
    int (*characters)(void *ud, const char *text, size_t len);
    int (*comment)(void *ud, const char *text, size_t len);
    int (*pi)(void *ud, struct fi_str target, struct fi_str data);
    int (*doctype)(void *ud, struct fi_str system_id, struct fi_str public_id);
    int (*entity_ref)(void *ud, struct fi_str name, struct fi_str system_id,
                      struct fi_str public_id);
    int (*notation)(void *ud, struct fi_str name, struct fi_str system_id,
                    struct fi_str public_id);
    int (*unparsed_entity)(void *ud, struct fi_str name,
                           struct fi_str system_id, struct fi_str public_id,
                           struct fi_str notation);
    /* Content in an encoding algorithm.  If set, it receives every
     * encoded character chunk (algorithm index 1..256, raw octets) and
     * `characters` does not.  Returns 0 to continue.  If NULL, built-in
     * algorithms are turned into text and application-defined ones
     * (index >= 32) fail with FI_EALGORITHM. */
    int (*octets)(void *ud, unsigned algorithm, const uint8_t *data,
                  size_t len);
    /* For debugging (orbweb fi dump): how each string or name of the
     * coming event was sent, in wire order, before the event itself:
     * table (enum fi_table), index as on the wire, and `how`. */
    int (*ref)(void *ud, int table, uint32_t index, int how);
};

enum fi_ref_how {
    FI_REF_INDEX = 0,   /* an index into the table (0: the empty string) */
    FI_REF_ADDED = 1,   /* a literal, added to the table at `index` */
    FI_REF_LITERAL = 2, /* a literal not added (index 0) */
};

/* ---- vocabularies ------------------------------------------------------- */

enum fi_table {
    FI_T_ALPHABET = 0, /* restricted alphabets (index 16..) */
    FI_T_ALGORITHM,    /* encoding algorithm URIs (index 32..) */
    FI_T_PREFIX,
    FI_T_NS,        /* namespace names */
    FI_T_LOCAL,     /* local names */
    FI_T_NCNAME,    /* other NCNames */
    FI_T_URI,       /* other URIs */
    FI_T_VALUE,     /* attribute values */
    FI_T_CHUNK,     /* content character chunks */
    FI_T_OTHER,     /* other strings */
    FI_T_ELEMENT,   /* element name surrogates */
    FI_T_ATTRIBUTE, /* attribute name surrogates */
    FI_T_COUNT
};

typedef struct fi_vocab fi_vocab;

/* An initial vocabulary, built by the caller and then used (read-only) by
 * any number of encoders and decoders, which must be freed first. */
FI_API int fi_vocab_new(fi_ctx *ctx, const char *uri, fi_vocab **out);
FI_API void fi_vocab_free(fi_vocab *v);
/* Appends a string to a string table (not FI_T_ELEMENT/ATTRIBUTE). */
FI_API int fi_vocab_add(fi_vocab *v, enum fi_table t, const char *s,
                        size_t len);
/* Appends a name surrogate to FI_T_ELEMENT or FI_T_ATTRIBUTE: indices
 * into the prefix (0: none), namespace (0: none) and local-name tables,
 * counted as on the wire (entry 1 of prefix and namespace is "xml"). */
FI_API int fi_vocab_add_name(fi_vocab *v, enum fi_table t, unsigned prefix,
                             unsigned ns, unsigned local);
/* Entries of a table in the vocabulary (excluding the built-in xml ones). */
FI_API size_t fi_vocab_count(const fi_vocab *v, enum fi_table t);
FI_API struct fi_str fi_vocab_string(const fi_vocab *v, enum fi_table t,
                                     size_t i);
FI_API int fi_vocab_name(const fi_vocab *v, enum fi_table t, size_t i,
                         unsigned *prefix, unsigned *ns, unsigned *local);
FI_API const char *fi_vocab_uri(const fi_vocab *v);

/* The built-in XMPP vocabularies (docs/fi.md lists them).  Static: never
 * freed, shared by everyone.  Version 2 adds names, values and restricted
 * alphabets (JIDs, lower-case hex, time stamps) to version 1; decoders
 * know both.  fi_vocab_xmpp() is the default version. */
#define FI_XMPP_VOCAB_URI_1 "urn:xmpp:orbweb:fi:vocab:1"
#define FI_XMPP_VOCAB_URI_2 "urn:xmpp:orbweb:fi:vocab:2"
#define FI_XMPP_VOCAB_DEFAULT 2
#define FI_XMPP_VOCAB_URI FI_XMPP_VOCAB_URI_2
FI_API const fi_vocab *fi_vocab_xmpp(void);
/* Version 1 or 2; NULL for any other. */
FI_API const fi_vocab *fi_vocab_xmpp_version(int version);

/* ---- decoder ------------------------------------------------------------ */

typedef struct fi_decoder fi_decoder;

enum fi_decoder_flags {
    FI_DEC_JOIN_TEXT = 1 << 0, /* join adjacent character chunks */
    FI_DEC_STREAM = 1 << 1,    /* stream mode: after the header, any number
                                  of top-level items (XMPP stanzas); the
                                  closing terminator is optional */
    FI_DEC_NO_XMPP = 1 << 2,   /* do not know the built-in XMPP vocabulary */
};

FI_API int fi_decoder_new(fi_ctx *ctx, const struct fi_handler *h, void *ud,
                          unsigned flags, fi_decoder **out);
FI_API void fi_decoder_free(fi_decoder *d);
/* Makes an external vocabulary known by its URI (kept by reference). */
FI_API int fi_decoder_add_vocab(fi_decoder *d, const fi_vocab *v);
/* Feeds len bytes; last != 0 says no more will come.  Returns FI_OK when
 * the document (or, last, the stream) is complete, FI_MORE when more
 * input is needed, or an error (sticky; see fi_decoder_offset). */
FI_API int fi_decoder_feed(fi_decoder *d, const void *data, size_t len,
                           int last);
/* Byte offset of the error (the first octet of the item in error, or
 * where the input ended), of the item being reported when called from a
 * callback, or else of the next octet not yet consumed. */
FI_API uint64_t fi_decoder_offset(const fi_decoder *d);
FI_API int fi_decoder_error(const fi_decoder *d);
/* Back to the start of a document, keeping memory and vocabularies. */
FI_API void fi_decoder_reset(fi_decoder *d);
/* Current element depth (0 outside the document element). */
FI_API size_t fi_decoder_depth(const fi_decoder *d);

/* ---- encoder ------------------------------------------------------------ */

typedef struct fi_encoder fi_encoder;

struct fi_encoder_options {
    const fi_vocab *vocab; /* initial vocabulary sent as an external
                              vocabulary URI, or NULL */
    unsigned index_limit;  /* attribute values and character chunks of
                              fewer than this many octets are indexed
                              [32]; 0 default, set typed bit for none */
    int typed;             /* numeric/date-time text as restricted
                              alphabets, canonical base64 text of at
                              least 64 chars as the base64 algorithm */
    int utf16;             /* literal character strings as UTF-16BE */
    int stream;            /* stream mode: see fi_encoder_frame */
    unsigned value_limit;  /* if set, replaces index_limit for attribute
                              values (full JIDs are often longer) */
    int words;             /* text too long to index whole goes as one
                              chunk per word, indexed (docs/fi.md) */
};

/* Encoder calls mirror the events; output accumulates in the encoder
 * until taken with fi_encoder_output/fi_encoder_consume. */
FI_API int fi_encoder_new(fi_ctx *ctx, const struct fi_encoder_options *opt,
                          fi_encoder **out);
FI_API void fi_encoder_free(fi_encoder *e);
FI_API int fi_encoder_start_document(fi_encoder *e);
FI_API int fi_encoder_end_document(fi_encoder *e);
FI_API int fi_encoder_start_element(fi_encoder *e, const struct fi_qname *name,
                                    const struct fi_nsdecl *ns, size_t nns,
                                    const struct fi_attr *attrs, size_t nattrs);
FI_API int fi_encoder_end_element(fi_encoder *e);
FI_API int fi_encoder_characters(fi_encoder *e, const char *text, size_t len);
FI_API int fi_encoder_comment(fi_encoder *e, const char *text, size_t len);
FI_API int fi_encoder_pi(fi_encoder *e, struct fi_str target,
                         struct fi_str data);
/* Raw octets as a character chunk with the base64 algorithm. */
FI_API int fi_encoder_octets(fi_encoder *e, const uint8_t *data, size_t len);
/* Output produced so far (lent until the next encoder call). */
FI_API void fi_encoder_output(const fi_encoder *e, const uint8_t **data,
                              size_t *len);
/* Drops the first n output bytes (after you wrote them somewhere). */
FI_API void fi_encoder_consume(fi_encoder *e, size_t n);
/* The first error met (sticky), or 0. */
FI_API int fi_encoder_error(const fi_encoder *e);
/* Per-document use: back to the initial state, keeping memory. */
FI_API void fi_encoder_reset(fi_encoder *e);
/* A handler whose callbacks feed the encoder given as ud. */
FI_API const struct fi_handler *fi_encoder_handler(void);

/* ---- stream framing ------------------------------------------------------
 * In stream mode the output is a sequence of frames: an unsigned LEB128
 * length (1..5 octets, at most FI_FRAME_MAX) and that many octets.  The
 * first frame holds the Fast Infoset header, every other frame exactly one
 * top-level element (one stanza).  fi_encoder_start_document writes the
 * header frame; each top-level end_element closes a stanza frame. */
#define FI_FRAME_MAX (1u << 28)

/* Reads a frame header from buf: returns its size in octets and sets
 * *frame_len, 0 if more octets are needed, or FI_EFRAME. */
FI_API int fi_frame_header(const uint8_t *buf, size_t len, size_t *frame_len);
/* Writes a frame header (at most 5 octets) and returns its size. */
FI_API size_t fi_frame_put(uint8_t out[5], size_t frame_len);

/* ---- textual XML bridges ------------------------------------------------ */

/* Parses XML text with expat (namespace-aware) into events for h.  On a
 * well-formedness error returns FI_EXML and sets *line if line != NULL;
 * FI_EABORTED if a callback stopped it. */
FI_API int fi_xml_parse(fi_ctx *ctx, const char *xml, size_t len,
                        const struct fi_handler *h, void *ud, size_t *line);
/* A whole document: start_document, the XML's events, end_document. */
FI_API int fi_xml_to_fi(fi_encoder *e, const char *xml, size_t len);

/* A writer turns events into textual XML with correct escaping. */
typedef struct fi_writer fi_writer;
FI_API int fi_writer_new(fi_ctx *ctx, fi_writer **out);
FI_API void fi_writer_free(fi_writer *w);
FI_API const struct fi_handler *fi_writer_handler(void);
FI_API void fi_writer_output(const fi_writer *w, const char **xml, size_t *len);
FI_API int fi_writer_error(const fi_writer *w);
FI_API void fi_writer_reset(fi_writer *w);

/* Decodes a whole FI document to XML text (*xml must be freed with the
 * context's allocator via fi_free).  On error *offset is set. */
FI_API int fi_fi_to_xml(fi_ctx *ctx, const fi_vocab *vocab, const void *fi,
                        size_t len, char **xml, size_t *xml_len,
                        uint64_t *offset);
FI_API void fi_free(fi_ctx *ctx, void *p);

/* ---- canonical infoset dump (for comparisons and debugging) -------------
 * One item per line, adjacent character chunks merged:
 *   E ns local prefix        element start
 *   N prefix ns              namespace declared on it (sorted by prefix)
 *   A ns local prefix value  attribute (sorted by ns, then local name)
 *   T text | C text | P target data | /   text, comment, PI, element end
 * Fields are separated by one space; in every field backslash, space,
 * double quote and control characters are escaped (\\ \s \q \n \r \t
 * \xHH) and an empty field is written as "". */
typedef struct fi_infoset fi_infoset;
FI_API int fi_infoset_new(fi_ctx *ctx, fi_infoset **out);
FI_API void fi_infoset_free(fi_infoset *s);
FI_API const struct fi_handler *fi_infoset_handler(void);
FI_API void fi_infoset_output(const fi_infoset *s, const char **text,
                              size_t *len);
FI_API int fi_infoset_error(const fi_infoset *s);
FI_API void fi_infoset_reset(fi_infoset *s);

#ifdef __cplusplus
}
#endif
#endif
