/*
 * error.c — the table of error codes: S3 Select's name, the class pluck gives it, and the
 * HTTP status S3 answers with; plus helpers that fill a pluck_error.
 */
#include "common/common.h"

#include <stdio.h>
#include <string.h>

typedef struct pl_code_info {
    pluck_code code;
    const char *name;
    pluck_code_class cls;
    int http;
} pl_code_info;

#define Q PLUCK_CLASS_QUERY
#define R PLUCK_CLASS_REQUEST
#define V PLUCK_CLASS_EVALUATION
#define I PLUCK_CLASS_INPUT
#define X PLUCK_CLASS_INTERNAL
static const pl_code_info code_table[] = {
    {PLUCK_OK, "OK", PLUCK_CLASS_NONE, 200},
    {PLUCK_STOP, "Stop", PLUCK_CLASS_NONE, 200},
    {PLUCK_E_INVALID_REQUEST_PARAMETER, "InvalidRequestParameter", R, 400},
    {PLUCK_E_INVALID_FILE_HEADER_INFO, "InvalidFileHeaderInfo", R, 400},
    {PLUCK_E_INVALID_QUOTE_FIELDS, "InvalidQuoteFields", R, 400},
    {PLUCK_E_INVALID_COMPRESSION_FORMAT, "InvalidCompressionFormat", I, 400},
    {PLUCK_E_INVALID_DATA_SOURCE, "InvalidDataSource", R, 400},
    {PLUCK_E_EXPRESSION_TOO_LONG, "ExpressionTooLong", Q, 400},
    {PLUCK_E_LEXER_INVALID_CHAR, "LexerInvalidChar", Q, 400},
    {PLUCK_E_LEXER_INVALID_LITERAL, "LexerInvalidLiteral", Q, 400},
    {PLUCK_E_LEXER_INVALID_OPERATOR, "LexerInvalidOperator", Q, 400},
    {PLUCK_E_LEXER_INVALID_ION_LITERAL, "LexerInvalidIONLiteral", Q, 400},
    {PLUCK_E_PARSE_UNEXPECTED_TOKEN, "ParseUnexpectedToken", Q, 400},
    {PLUCK_E_PARSE_UNEXPECTED_KEYWORD, "ParseUnExpectedKeyword", Q, 400},
    {PLUCK_E_PARSE_UNEXPECTED_OPERATOR, "ParseUnexpectedOperator", Q, 400},
    {PLUCK_E_PARSE_UNEXPECTED_TERM, "ParseUnexpectedTerm", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_EXPRESSION, "ParseExpectedExpression", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_KEYWORD, "ParseExpectedKeyword", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_TOKEN_TYPE, "ParseExpectedTokenType", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_2_TOKEN_TYPES, "ParseExpected2TokenTypes", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_NUMBER, "ParseExpectedNumber", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_TYPE_NAME, "ParseExpectedTypeName", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_IDENT_FOR_ALIAS, "ParseExpectedIdentForAlias", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_ARGUMENT_DELIMITER, "ParseExpectedArgumentDelimiter", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_LEFT_PAREN_AFTER_CAST, "ParseExpectedLeftParenAfterCast", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_LEFT_PAREN_BUILTIN_FUNCTION_CALL,
     "ParseExpectedLeftParenBuiltinFunctionCall", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_RIGHT_PAREN_BUILTIN_FUNCTION_CALL,
     "ParseExpectedRightParenBuiltinFunctionCall", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_WHEN_CLAUSE, "ParseExpectedWhenClause", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_DATE_PART, "ParseExpectedDatePart", Q, 400},
    {PLUCK_E_PARSE_EMPTY_SELECT, "ParseEmptySelect", Q, 400},
    {PLUCK_E_PARSE_SELECT_MISSING_FROM, "ParseSelectMissingFrom", Q, 400},
    {PLUCK_E_PARSE_ASTERISK_IS_NOT_ALONE_IN_SELECT_LIST, "ParseAsteriskIsNotAloneInSelectList", Q,
     400},
    {PLUCK_E_PARSE_INVALID_PATH_COMPONENT, "ParseInvalidPathComponent", Q, 400},
    {PLUCK_E_PARSE_NON_UNARY_AGREGATE_FUNCTION_CALL, "ParseNonUnaryAgregateFunctionCall", Q, 400},
    {PLUCK_E_PARSE_UNSUPPORTED_CALL_WITH_STAR, "ParseUnsupportedCallWithStar", Q, 400},
    {PLUCK_E_PARSE_MALFORMED_JOIN, "ParseMalformedJoin", Q, 400},
    {PLUCK_E_PARSE_EXPECTED_IDENT_FOR_GROUP_NAME, "ParseExpectedIdentForGroupName", Q, 400},
    {PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, "ParseUnsupportedSyntax", Q, 400},
    {PLUCK_E_PARSE_INVALID_TYPE_PARAM, "ParseInvalidTypeParam", Q, 400},
    {PLUCK_E_PARSE_CAST_ARITY, "ParseCastArity", Q, 400},
    {PLUCK_E_MAX_OPERATORS_EXCEEDED, "MaxOperatorsExceeded", Q, 400},
    {PLUCK_E_INVALID_TABLE_ALIAS, "InvalidTableAlias", Q, 400},
    {PLUCK_E_INVALID_COLUMN_INDEX, "InvalidColumnIndex", Q, 400},
    {PLUCK_E_MISSING_HEADERS, "MissingHeaders", Q, 400},
    {PLUCK_E_AMBIGUOUS_FIELD_NAME, "AmbiguousFieldName", Q, 400},
    {PLUCK_E_UNSUPPORTED_FUNCTION, "UnsupportedFunction", Q, 400},
    {PLUCK_E_UNSUPPORTED_SQL_OPERATION, "UnsupportedSqlOperation", Q, 400},
    {PLUCK_E_UNSUPPORTED_SQL_STRUCTURE, "UnsupportedSqlStructure", Q, 400},
    {PLUCK_E_INVALID_DATA_TYPE, "InvalidDataType", Q, 400},
    {PLUCK_E_EVALUATOR_INVALID_ARGUMENTS, "EvaluatorInvalidArguments", Q, 400},
    {PLUCK_E_EVALUATOR_NEGATIVE_LIMIT, "EvaluatorNegativeLimit", Q, 400},
    {PLUCK_E_EVALUATOR_LIKE_PATTERN_INVALID_ESCAPE_SEQUENCE,
     "EvaluatorLikePatternInvalidEscapeSequence", V, 400},
    {PLUCK_E_LIKE_INVALID_INPUTS, "LikeInvalidInputs", V, 400},
    {PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE, "IncorrectSqlFunctionArgumentType", V, 400},
    {PLUCK_E_ILLEGAL_SQL_FUNCTION_ARGUMENT, "IllegalSqlFunctionArgument", V, 400},
    {PLUCK_E_CAST_FAILED, "CastFailed", V, 400},
    {PLUCK_E_INTEGER_OVERFLOW, "IntegerOverflow", V, 400},
    {PLUCK_E_DIVISION_BY_ZERO, "DivisionByZero", V, 400},
    {PLUCK_E_UNSUPPORTED_TYPE_FOR_QUERYING, "UnsupportedTypeForQuerying", V, 400},
    {PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN, "EvaluatorInvalidTimestampFormatPattern",
     V, 400},
    {PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL,
     "EvaluatorInvalidTimestampFormatPatternSymbol", V, 400},
    {PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL_FOR_PARSING,
     "EvaluatorInvalidTimestampFormatPatternSymbolForParsing", V, 400},
    {PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_TOKEN,
     "EvaluatorInvalidTimestampFormatPatternToken", V, 400},
    {PLUCK_E_EVALUATOR_UNTERMINATED_TIMESTAMP_FORMAT_PATTERN_TOKEN,
     "EvaluatorUnterminatedTimestampFormatPatternToken", V, 400},
    {PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_DUPLICATE_FIELDS,
     "EvaluatorTimestampFormatPatternDuplicateFields", V, 400},
    {PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_HOUR_CLOCK_AM_PM_MISMATCH,
     "EvaluatorTimestampFormatPatternHourClockAmPmMismatch", V, 400},
    {PLUCK_E_VALUE_PARSE_FAILURE, "ValueParseFailure", V, 400},
    {PLUCK_E_CSV_PARSING_ERROR, "CSVParsingError", I, 400},
    {PLUCK_E_CSV_UNESCAPED_QUOTE, "CSVUnescapedQuote", I, 400},
    {PLUCK_E_CSV_ESCAPING_RECORD_DELIMITER, "CSVEscapingRecordDelimiter", I, 400},
    {PLUCK_E_OVER_MAX_RECORD_SIZE, "OverMaxRecordSize", I, 400},
    {PLUCK_E_INVALID_TEXT_ENCODING, "InvalidTextEncoding", I, 400},
    {PLUCK_E_TRUNCATED_INPUT, "TruncatedInput", I, 400},
    {PLUCK_E_READ_ERROR, "ReadError", I, 500},
    {PLUCK_E_WRITE_ERROR, "WriteError", X, 500},
    {PLUCK_E_OVER_MAX_COLUMN, "OverMaxColumn", I, 400},
    {PLUCK_E_COLUMN_TOO_LONG, "ColumnTooLong", I, 400},
    {PLUCK_E_OUT_OF_MEMORY, "OutOfMemory", X, 500},
    {PLUCK_E_INTERNAL_ERROR, "InternalError", X, 500},
    {PLUCK_E_CANCELLED, "Cancelled", X, 500},
    {PLUCK_E_TOO_MANY_GROUPS, "TooManyGroups", V, 400},
};
#undef Q
#undef R
#undef V
#undef I
#undef X

static const pl_code_info *code_info(pluck_code code)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(code_table); i++)
        if (code_table[i].code == code)
            return &code_table[i];
    return NULL;
}

int pluck_is_error(pluck_code code) { return code != PLUCK_OK && code != PLUCK_STOP; }

const char *pluck_code_name(pluck_code code)
{
    const pl_code_info *ci = code_info(code);
    return ci ? ci->name : "InternalError";
}

pluck_code_class pluck_code_get_class(pluck_code code)
{
    const pl_code_info *ci = code_info(code);
    return ci ? ci->cls : PLUCK_CLASS_INTERNAL;
}

int pluck_code_http_status(pluck_code code)
{
    const pl_code_info *ci = code_info(code);
    return ci ? ci->http : 500;
}

void pl_error_vset(pluck_error *err, pluck_code code, const char *fmt, va_list ap)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
}

void pl_error_set(pluck_error *err, pluck_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pl_error_vset(err, code, fmt, ap);
    va_end(ap);
}

pluck_code pl_error_fail(pluck_error *err, pluck_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pl_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void pl_error_sql_pos(pluck_error *err, const char *sql, size_t sql_len, size_t offset)
{
    if (!err)
        return;
    if (offset > sql_len)
        offset = sql_len;
    uint32_t line = 1, col = 1;
    for (size_t i = 0; i < offset; i++) {
        if (sql[i] == '\n') {
            line++;
            col = 1;
        } else if ((sql[i] & 0xC0) != 0x80) { /* count code points, not UTF-8 bytes */
            col++;
        }
    }
    err->sql_offset = (uint32_t)offset;
    err->sql_line = line;
    err->sql_column = col;
}

pluck_code pl_error_sql(pluck_error *err, pluck_code code, const char *sql, size_t sql_len,
                        size_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pl_error_vsql(err, code, sql, sql_len, offset, fmt, ap);
    va_end(ap);
    return code;
}

pluck_code pl_error_vsql(pluck_error *err, pluck_code code, const char *sql, size_t sql_len,
                         size_t offset, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    char msg[sizeof err->message];
    vsnprintf(msg, sizeof msg, fmt, ap);
    pluck_error pos;
    pl_error_sql_pos(&pos, sql, sql_len, offset);
    char *at = strstr(msg, "@POS@");
    if (at)
        pl_error_set(err, code, "%.*sline %u, column %u%s", (int)(at - msg), msg, pos.sql_line,
                     pos.sql_column, at + 5);
    else
        pl_error_set(err, code, "%sat line %u, column %u.", msg, pos.sql_line, pos.sql_column);
    pl_error_sql_pos(err, sql, sql_len, offset);
    return code;
}
