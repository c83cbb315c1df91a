# 全站共用的文字。
money-test = 金额：{ $amount }
times-in-zone = 时间均为 { $zone } 时区（{ $offset }）
money-not-a-number = “{ $text }”不是金额：请填写数字，最多一个小数点，例如 120.50
money-not-positive = 必须大于零
money-too-precise = { $currency } 金额最多 { $scale } 位小数
money-too-large = 不能超过 { $max }
money-unknown-currency = 不支持货币“{ $code }”
