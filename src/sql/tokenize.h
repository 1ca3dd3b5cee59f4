/*
 * tokenize.h — the lexer of pluck's SQL front end.
 *
 * The whole statement is tokenized before parsing (as PartiQL does), so a lexical error
 * anywhere wins over a syntax error earlier in the text.  Tokens point back into the SQL
 * text; pl_token_value() makes the unescaped copy the parser stores in the tree.
 */
#ifndef PL_TOKENIZE_H
#define PL_TOKENIZE_H

#include "common/common.h"

/* S3 Select's reserved words (AWS "Reserved keywords" page), in strictly ascending byte
 * order: pl_keyword_lookup() binary-searches the table built from this list.  END-EXEC
 * can never be lexed (a word has no '-') but is kept so the list matches AWS's. */
#define PL_KEYWORDS(X) \
    X(ABSOLUTE, "absolute") X(ACTION, "action") X(ADD, "add") X(ALL, "all") \
    X(ALLOCATE, "allocate") X(ALTER, "alter") X(AND, "and") X(ANY, "any") X(ARE, "are") \
    X(AS, "as") X(ASC, "asc") X(ASSERTION, "assertion") X(AT, "at") \
    X(AUTHORIZATION, "authorization") X(AVG, "avg") X(BAG, "bag") X(BEGIN, "begin") \
    X(BETWEEN, "between") X(BIT, "bit") X(BIT_LENGTH, "bit_length") X(BLOB, "blob") \
    X(BOOL, "bool") X(BOOLEAN, "boolean") X(BOTH, "both") X(BY, "by") X(CASCADE, "cascade") \
    X(CASCADED, "cascaded") X(CASE, "case") X(CAST, "cast") X(CATALOG, "catalog") X(CHAR, "char") \
    X(CHAR_LENGTH, "char_length") X(CHARACTER, "character") \
    X(CHARACTER_LENGTH, "character_length") X(CHECK, "check") X(CLOB, "clob") X(CLOSE, "close") \
    X(COALESCE, "coalesce") X(COLLATE, "collate") X(COLLATION, "collation") X(COLUMN, "column") \
    X(COMMIT, "commit") X(CONNECT, "connect") X(CONNECTION, "connection") \
    X(CONSTRAINT, "constraint") X(CONSTRAINTS, "constraints") X(CONTINUE, "continue") \
    X(CONVERT, "convert") X(CORRESPONDING, "corresponding") X(COUNT, "count") X(CREATE, "create") \
    X(CROSS, "cross") X(CURRENT, "current") X(CURRENT_DATE, "current_date") \
    X(CURRENT_TIME, "current_time") X(CURRENT_TIMESTAMP, "current_timestamp") \
    X(CURRENT_USER, "current_user") X(CURSOR, "cursor") X(DATE, "date") X(DAY, "day") \
    X(DEALLOCATE, "deallocate") X(DEC, "dec") X(DECIMAL, "decimal") X(DECLARE, "declare") \
    X(DEFAULT, "default") X(DEFERRABLE, "deferrable") X(DEFERRED, "deferred") X(DELETE, "delete") \
    X(DESC, "desc") X(DESCRIBE, "describe") X(DESCRIPTOR, "descriptor") \
    X(DIAGNOSTICS, "diagnostics") X(DISCONNECT, "disconnect") X(DISTINCT, "distinct") \
    X(DOMAIN, "domain") X(DOUBLE, "double") X(DROP, "drop") X(ELSE, "else") X(END, "end") \
    X(END_EXEC, "end-exec") X(ESCAPE, "escape") X(EXCEPT, "except") X(EXCEPTION, "exception") \
    X(EXEC, "exec") X(EXECUTE, "execute") X(EXISTS, "exists") X(EXTERNAL, "external") \
    X(EXTRACT, "extract") X(FALSE, "false") X(FETCH, "fetch") X(FIRST, "first") X(FLOAT, "float") \
    X(FOR, "for") X(FOREIGN, "foreign") X(FOUND, "found") X(FROM, "from") X(FULL, "full") \
    X(GET, "get") X(GLOBAL, "global") X(GO, "go") X(GOTO, "goto") X(GRANT, "grant") \
    X(GROUP, "group") X(HAVING, "having") X(HOUR, "hour") X(IDENTITY, "identity") \
    X(IMMEDIATE, "immediate") X(IN, "in") X(INDICATOR, "indicator") X(INITIALLY, "initially") \
    X(INNER, "inner") X(INPUT, "input") X(INSENSITIVE, "insensitive") X(INSERT, "insert") \
    X(INT, "int") X(INTEGER, "integer") X(INTERSECT, "intersect") X(INTERVAL, "interval") \
    X(INTO, "into") X(IS, "is") X(ISOLATION, "isolation") X(JOIN, "join") X(KEY, "key") \
    X(LANGUAGE, "language") X(LAST, "last") X(LEADING, "leading") X(LEFT, "left") \
    X(LEVEL, "level") X(LIKE, "like") X(LIMIT, "limit") X(LIST, "list") X(LOCAL, "local") \
    X(LOWER, "lower") X(MATCH, "match") X(MAX, "max") X(MIN, "min") X(MINUTE, "minute") \
    X(MISSING, "missing") X(MODULE, "module") X(MONTH, "month") X(NAMES, "names") \
    X(NATIONAL, "national") X(NATURAL, "natural") X(NCHAR, "nchar") X(NEXT, "next") X(NO, "no") \
    X(NOT, "not") X(NULL, "null") X(NULLIF, "nullif") X(NUMERIC, "numeric") \
    X(OCTET_LENGTH, "octet_length") X(OF, "of") X(ON, "on") X(ONLY, "only") X(OPEN, "open") \
    X(OPTION, "option") X(OR, "or") X(ORDER, "order") X(OUTER, "outer") X(OUTPUT, "output") \
    X(OVERLAPS, "overlaps") X(PAD, "pad") X(PARTIAL, "partial") X(PIVOT, "pivot") \
    X(POSITION, "position") X(PRECISION, "precision") X(PREPARE, "prepare") \
    X(PRESERVE, "preserve") X(PRIMARY, "primary") X(PRIOR, "prior") X(PRIVILEGES, "privileges") \
    X(PROCEDURE, "procedure") X(PUBLIC, "public") X(READ, "read") X(REAL, "real") \
    X(REFERENCES, "references") X(RELATIVE, "relative") X(RESTRICT, "restrict") \
    X(REVOKE, "revoke") X(RIGHT, "right") X(ROLLBACK, "rollback") X(ROWS, "rows") \
    X(SCHEMA, "schema") X(SCROLL, "scroll") X(SECOND, "second") X(SECTION, "section") \
    X(SELECT, "select") X(SESSION, "session") X(SESSION_USER, "session_user") X(SET, "set") \
    X(SEXP, "sexp") X(SIZE, "size") X(SMALLINT, "smallint") X(SOME, "some") X(SPACE, "space") \
    X(SQL, "sql") X(SQLCODE, "sqlcode") X(SQLERROR, "sqlerror") X(SQLSTATE, "sqlstate") \
    X(STRING, "string") X(STRUCT, "struct") X(SUBSTRING, "substring") X(SUM, "sum") \
    X(SYMBOL, "symbol") X(SYSTEM_USER, "system_user") X(TABLE, "table") X(TEMPORARY, "temporary") \
    X(THEN, "then") X(TIME, "time") X(TIMESTAMP, "timestamp") X(TIMEZONE_HOUR, "timezone_hour") \
    X(TIMEZONE_MINUTE, "timezone_minute") X(TO, "to") X(TRAILING, "trailing") \
    X(TRANSACTION, "transaction") X(TRANSLATE, "translate") X(TRANSLATION, "translation") \
    X(TRIM, "trim") X(TRUE, "true") X(TUPLE, "tuple") X(UNION, "union") X(UNIQUE, "unique") \
    X(UNKNOWN, "unknown") X(UNPIVOT, "unpivot") X(UPDATE, "update") X(UPPER, "upper") \
    X(USAGE, "usage") X(USER, "user") X(USING, "using") X(VALUE, "value") X(VALUES, "values") \
    X(VARCHAR, "varchar") X(VARYING, "varying") X(VIEW, "view") X(WHEN, "when") \
    X(WHENEVER, "whenever") X(WHERE, "where") X(WITH, "with") X(WORK, "work") X(WRITE, "write") \
    X(YEAR, "year") X(ZONE, "zone")

typedef enum pl_keyword {
    PL_KW_NONE = 0,
#define PL_KW_ENUM_(id, text) PL_KW_##id,
    PL_KEYWORDS(PL_KW_ENUM_)
#undef PL_KW_ENUM_
    PL_KW_COUNT_ /* one past the last keyword */
} pl_keyword;

typedef enum pl_tok_type {
    PL_TK_EOF = 0,
    PL_TK_IDENT,   /* unquoted name that is not a reserved word */
    PL_TK_QIDENT,  /* "quoted name" */
    PL_TK_KEYWORD, /* reserved word; kw says which */
    PL_TK_INT,     /* 123 */
    PL_TK_DECIMAL, /* 1.5  .5  5. */
    PL_TK_FLOAT,   /* 1e3  2.5E-2 */
    PL_TK_STRING,  /* 'text' */
    PL_TK_ION,     /* `ion text` */
    PL_TK_PLUS,
    PL_TK_MINUS,
    PL_TK_STAR,
    PL_TK_SLASH,
    PL_TK_PERCENT,
    PL_TK_CONCAT, /* || */
    PL_TK_EQ,
    PL_TK_NE, /* <> or != */
    PL_TK_LT,
    PL_TK_LE,
    PL_TK_GT,
    PL_TK_GE,
    PL_TK_LPAREN,
    PL_TK_RPAREN,
    PL_TK_COMMA,
    PL_TK_DOT,
    PL_TK_SEMI,
    PL_TK_LBRACKET,
    PL_TK_RBRACKET
} pl_tok_type;

typedef struct pl_token {
    pl_tok_type type;
    pl_keyword kw; /* PL_KW_NONE unless type is PL_TK_KEYWORD */
    uint32_t pos;  /* byte offset of the first byte (the opening quote for quoted tokens) */
    uint32_t len;  /* bytes in the SQL text, quotes included */
} pl_token;

/* Tokenize sql[0..len) into an arena array that always ends with one PL_TK_EOF token (at
 * offset len).  On a lexical error returns LexerInvalidChar / LexerInvalidLiteral /
 * LexerInvalidIONLiteral with err filled, position included. */
pluck_code pl_tokenize(const char *sql, size_t len, pl_arena *arena, pl_token **out,
                       uint32_t *ntokens, pluck_error *err);

/* The token's value as a NUL-terminated arena string: quotes and backticks removed, doubled
 * quotes undone; other tokens are copied as written.  NULL on out of memory. */
char *pl_token_value(pl_arena *arena, const char *sql, const pl_token *tok, uint32_t *out_len);

/* Keyword for word (len bytes, any case), or PL_KW_NONE. */
pl_keyword pl_keyword_lookup(const char *word, size_t len);
/* Lower-case spelling of a keyword; "" for PL_KW_NONE or out of range. */
const char *pl_keyword_name(pl_keyword kw);

/* Text for a message: at most 40 bytes of s, never cutting a UTF-8 sequence, "..." marking
 * a cut.  out should hold 64 bytes. */
void pl_sql_excerpt(char *out, size_t cap, const char *s, size_t n);

#endif /* PL_TOKENIZE_H */
