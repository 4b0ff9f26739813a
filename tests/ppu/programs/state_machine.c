/* A state machine: a tokenizer and evaluator for integer expressions with + - * and parentheses
 * (precedence by an explicit operator stack), run over a fixed set of expressions. */
#include "corpus.h"

enum state { START, NUMBER, OPERATOR, DONE, ERROR };

int32_t values[16];
char operators[16];
int32_t answers[8];

static int precedence(char op) { return op == '*' ? 2 : (op == '+' || op == '-') ? 1 : 0; }

static int apply(int *value_count, char op)
{
    if (*value_count < 2)
        return 0;
    int32_t b = values[--*value_count], a = values[*value_count - 1];
    values[*value_count - 1] = op == '+' ? a + b : op == '-' ? a - b : a * b;
    return 1;
}

static int evaluate(const char *text, int32_t *result)
{
    enum state state = START;
    int value_count = 0, operator_count = 0;
    int32_t number = 0;
    for (const char *p = text;; p++) {
        char c = *p;
        int digit = c >= '0' && c <= '9';
        switch (state) {
        case START:
        case OPERATOR:
            if (digit) { number = c - '0'; state = NUMBER; }
            else if (c == '(') operators[operator_count++] = '(';
            else if (c != ' ') state = ERROR;
            break;
        case NUMBER:
            if (digit) { number = number * 10 + (c - '0'); break; }
            values[value_count++] = number;
            while (c == ')' && operator_count > 0 && operators[operator_count - 1] != '(')
                if (!apply(&value_count, operators[--operator_count])) state = ERROR;
            if (c == ')') {
                if (operator_count == 0) { state = ERROR; break; }
                operator_count--;
                p++;
                c = *p;
                while (c == ' ') c = *++p;
                while (c == ')') {
                    while (operator_count > 0 && operators[operator_count - 1] != '(')
                        apply(&value_count, operators[--operator_count]);
                    if (operator_count == 0) { state = ERROR; break; }
                    operator_count--;
                    c = *++p;
                }
            }
            if (state == ERROR) break;
            if (c == '\0') { state = DONE; break; }
            if (precedence(c) == 0) { state = ERROR; break; }
            while (operator_count > 0 && precedence(operators[operator_count - 1]) >= precedence(c))
                apply(&value_count, operators[--operator_count]);
            operators[operator_count++] = c;
            state = OPERATOR;
            break;
        case DONE:
        case ERROR:
            break;
        }
        if (state == DONE || state == ERROR || c == '\0')
            break;
    }
    if (state != DONE)
        return 0;
    while (operator_count > 0)
        if (operators[--operator_count] == '(' || !apply(&value_count, operators[operator_count]))
            return 0;
    *result = values[0];
    return value_count == 1;
}

int start(void)
{
    static const char *const expressions[] = {
        "1+2*3", "(1+2)*3", "100-7*(3+4)", "2*(3*(4+5))-1", "((12))", "7-", "3*(4+", "42",
    };
    uint32_t hash = MIX_START;
    for (int i = 0; i < 8; i++) {
        int32_t value = -1;
        int ok = evaluate(expressions[i], &value);
        answers[i] = ok ? value : -1;
        hash = mix(hash, (uint32_t)ok);
        hash = mix(hash, (uint32_t)answers[i]);
    }
    if (answers[0] != 7 || answers[1] != 9 || answers[2] != 51 || answers[3] != 53)
        return 1;
    return (int)hash;
}
