# Texts shared across the desk.
money-test = Amount: { $amount }
times-in-zone = Times are in { $zone } ({ $offset })
money-not-a-number = “{ $text }” is not an amount: write digits with at most one decimal point, such as 120.50
money-not-positive = must be more than zero
money-too-precise = { $currency } amounts have at most { $scale } decimal places
money-too-large = must be at most { $max }
money-unknown-currency = “{ $code }” is not a currency we support
